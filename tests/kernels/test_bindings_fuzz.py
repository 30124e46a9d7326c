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
    # Valid calls, then each argument in turn replaced by every pool entry: this reaches
    # the checks behind the first one, which random argument lists rarely get past.
    x34, x45, y35 = f32(3, 4), f32(4, 5), f32(3, 5)
    lab = np.array([0, 3, 1], np.int32)
    def opt(n):  # n state lists for 2 variables
        ps = [f32(3, 4), f32(5)]
        return [ps, [f32(3, 4), f32(5)]] + [[np.zeros((3, 4), np.float32), np.zeros(5, np.float32)] for _ in range(n)]
    # x (2, 5, 5, 3), w (3, 3, 3, 4), padding top 1: y (2, 4, 3, 4).
    conv_fwd = (f32(2, 5, 5, 3), f32(3, 3, 3, 4), f32(4), (1, 1), (1, 0, 0, 0), (1, 1), "relu")
    conv_bwd = (f32(2, 4, 3, 4), *conv_fwd[:2], np.abs(f32(2, 4, 3, 4)), *conv_fwd[3:])
    # Depthwise: w (3, 3, 3, 2), 6 output channels.
    dw_fwd = (conv_fwd[0], f32(3, 3, 3, 2), f32(6), *conv_fwd[3:])
    dw_bwd = (f32(2, 4, 3, 6), *dw_fwd[:2], np.abs(f32(2, 4, 3, 6)), *dw_fwd[3:])
    # x (2, 5, 5, 3), 2x2 windows, strides (2, 2), padding top 1: y (2, 3, 2, 3).
    pool_fwd = (f32(2, 5, 5, 3), (2, 2), (2, 2), (1, 0, 0, 0))
    templates = {
        "sgemm": (x34, x45), "sgemm_ref": (x34, x45),
        "dense_forward": (x34, x45, f32(5), "relu"),
        "dense_backward": (y35, x34, x45, np.abs(y35), "relu"),
        "softmax_cross_entropy": (x34, lab),
        "softmax_backward": (x34, x34.copy()), "log_softmax_backward": (x34, x34.copy()),
        "column_sum": (x34,), "argmax": (x34, 1), "argmin": (x34, 0), "sum_to_shape": (x34, (1, 4)),
        "sgd_update": (*opt(0), 0.1), "momentum_update": (*opt(1), 0.1, 0.9),
        "adagrad_update": (*opt(1), 0.1), "adadelta_update": (*opt(2), 1.0, 0.95),
        "adam_update": (*opt(2), 0.1, 0.9, 0.999, 1e-7, 1),
        "adamax_update": (*opt(2), 0.1, 0.9, 0.999, 1e-7, 1),
        "rmsprop_update": (*opt(2), 0.1, 0.9, 0.0, 1e-7),
        "gather_rows": (x34, np.array([2, 0], np.int64), f32(2, 4), np.array([1], np.int64)),
        "l1l2_penalty": (x34, 0.01, 0.02),
        "l1l2_penalty_backward": (x34, 0.01, 0.02, 1.0, f32(3, 4), True),
        "batchnorm_forward": (x34, f32(4), f32(4), f32(4), np.abs(f32(4)), 1e-3, 0.1),
        "batchnorm_backward": (x34, x34.copy(), f32(4), np.abs(f32(4)), f32(4)),
        "conv2d_forward": conv_fwd, "conv2d_forward_ref": conv_fwd,
        "conv2d_backward": conv_bwd, "conv2d_backward_ref": conv_bwd,
        "depthwise_conv2d_forward": dw_fwd, "depthwise_conv2d_forward_ref": dw_fwd,
        "depthwise_conv2d_backward": dw_bwd, "depthwise_conv2d_backward_ref": dw_bwd,
        "max_pool_forward": pool_fwd, "max_pool_forward_ref": pool_fwd,
        "avg_pool_forward": pool_fwd, "avg_pool_forward_ref": pool_fwd,
        "max_pool_backward": (f32(2, 3, 2, 3), np.zeros((2, 3, 2, 3), np.int32), (2, 5, 5, 3),
                              *pool_fwd[1:]),
        "avg_pool_backward": (f32(2, 3, 2, 3), (2, 5, 5, 3), *pool_fwd[1:]),
    }
    for name in ("max_pool_backward", "avg_pool_backward"):
        templates[name + "_ref"] = templates[name]
    # An LSTM over x (2, 3, 4) with 2 units; rnn_backward consumes rnn_forward's workspace.
    rnn_fwd = ("lstm", f32(2, 3, 4), f32(4, 8), f32(2, 8), f32(8))
    templates["rnn_forward"] = rnn_fwd
    templates["rnn_backward"] = (*rnn_fwd[:4], None, None, _core.rnn_forward(*rnn_fwd)[3],
                                 f32(2, 3, 2))
    templates["embedding_forward"] = (f32(5, 3), np.array([[0, 4]], np.int32))
    templates["embedding_backward"] = (f32(1, 2, 3), np.array([[0, 4]], np.int32), 5)
    for name in names:
        if name in templates:
            continue
        doc = getattr(_core, name).__doc__ or ""
        if "(dy, " in doc.split("\n")[0]:
            templates[name] = (x34, x34.copy())
        elif "(a, b" in doc.split("\n")[0]:
            templates[name] = (x34, f32(4))
        elif "(x" in doc.split("\n")[0]:
            templates[name] = (x34,)
    for name, args in templates.items():
        fn = getattr(_core, name)
        try:
            fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
        except Exception as e:
            print(f"template call {name} failed: {type(e).__name__}: {e}")
            other += 1
        for i in range(len(args)):
            for p in pool:
                mutated = list(args)
                mutated[i] = p.copy() if isinstance(p, np.ndarray) and p.flags.writeable else p
                calls += 1
                try:
                    fn(*mutated)
                except (TypeError, ValueError):
                    pass
                except Exception as e:
                    print(f"{name} arg {i}={type(p).__name__} raised {type(e).__name__}: {e}")
                    other += 1
    print(f"fuzzed {len(names)} functions ({len(templates)} from valid templates) with {calls} "
          f"calls; unexpected exceptions: {other}")
    sys.exit(1 if other else 0)
""")


def test_no_binding_crashes_or_raises_unexpected_errors():
    out = subprocess.run([sys.executable, "-c", FUZZ, "300"], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, (
        f"child exited with {out.returncode} (negative = killed by signal)\n"
        f"{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    assert "unexpected exceptions: 0" in out.stdout
