"""No input crashes the interpreter: every _core function is called with thousands of
random argument combinations (wrong types, dtypes, ranks, shapes, strides, read-only
and empty arrays, lists) in a child process. Each call must either succeed or raise
TypeError/ValueError; a crash kills the child and fails the test."""
import subprocess
import sys
import textwrap

FUZZ = textwrap.dedent(r"""
    import itertools, random, sys
    import numpy as np
    from treino import _core

    SKIP = {"set_isa", "set_num_threads"}  # change global state; tested elsewhere
    rng = np.random.default_rng(0)

    def f32(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    ro = f32(3, 4); ro.flags.writeable = False
    nan = np.full((3, 4), np.nan, np.float32)
    pool = [None, 0, 1, -1, 3, 2**40, 0.5, -0.1, float("nan"), True, "relu", "bogus",
            f32(3, 4), f32(4, 3), f32(4, 4), f32(3), f32(4), f32(1), f32(0), f32(0, 4),
            f32(3, 0), f32(2, 3, 4), f32(3, 4, 1), f32(8, 6)[:, ::2], ro, nan,
            np.zeros((3, 4)), np.zeros((3, 4), np.float16), np.arange(3, dtype=np.int32),
            np.array([0, 5, -1], np.int32), np.arange(12, dtype=np.int64).reshape(3, 4),
            np.zeros((3, 4), bool), [f32(3, 4)], [f32(3, 4), f32(3)], [f32(3, 4), None],
            [[1.0, 2.0]], (), [], {"a": 1}]
    names = sorted(n for n in dir(_core) if not n.startswith("_") and n not in SKIP
                   and callable(getattr(_core, n)) and not isinstance(getattr(_core, n), type))
    random.seed(0)
    calls = other = 0
    for name in names:
        fn = getattr(_core, name)
        for _ in range(int(sys.argv[1])):
            arity = random.randint(0, 10)
            args = [random.choice(pool) for _ in range(arity)]
            # Copy arrays so in-place kernels cannot poison the pool's shapes.
            args = [a.copy() if isinstance(a, np.ndarray) and a.flags.writeable else a for a in args]
            calls += 1
            try:
                fn(*args)
            except (TypeError, ValueError):
                pass
            except Exception as e:  # anything else is a bug in a binding's checks
                print(f"{name}{tuple(type(a).__name__ for a in args)} raised {type(e).__name__}: {e}")
                other += 1
    print(f"fuzzed {len(names)} functions with {calls} calls; unexpected exceptions: {other}")
    sys.exit(1 if other else 0)
""")


def test_no_binding_crashes_or_raises_unexpected_errors():
    out = subprocess.run([sys.executable, "-c", FUZZ, "300"], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, (
        f"child exited with {out.returncode} (negative = killed by signal)\n"
        f"{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    assert "unexpected exceptions: 0" in out.stdout
