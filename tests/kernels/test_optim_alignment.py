"""Optimizer kernels refuse misaligned float32 views (e.g. np.frombuffer at an odd byte
offset) in every list, as every other kernel does: a clear ValueError naming the
argument, before any array is touched."""
import numpy as np
import pytest

from treino import _kernels as K

F32 = np.float32


def misaligned(values):
    """A writeable float32 view of `values` starting one byte into a bytearray."""
    values = np.asarray(values, F32)
    buf = bytearray(values.nbytes + 1)
    a = np.frombuffer(buf, F32, count=values.size, offset=1).reshape(values.shape)
    assert not a.flags.aligned and a.flags.writeable and a.flags.c_contiguous
    a[...] = values
    return a


def problem(n_states):
    rng = np.random.default_rng(0)
    shapes = [(3,), (2, 4), (5,)]
    params = [rng.standard_normal(s).astype(F32) for s in shapes]
    grads = [rng.standard_normal(s).astype(F32) for s in shapes]
    states = [[np.full(s, 0.1, F32) for s in shapes] for _ in range(n_states)]
    return params, grads, states


# name -> (call(params, grads, states), number of state lists, their argument names)
KERNELS = {
    "sgd": (lambda p, g, s: K.sgd_update(p, g, 0.1), 0, []),
    "momentum": (lambda p, g, s: K.momentum_update(p, g, s[0], 0.1, 0.9), 1, ["accums"]),
    "adagrad": (lambda p, g, s: K.adagrad_update(p, g, s[0], 0.1), 1, ["accums"]),
    "adadelta": (lambda p, g, s: K.adadelta_update(p, g, s[0], s[1], 1.0, 0.95), 2,
                 ["accum_grads", "accum_updates"]),
    "adam": (lambda p, g, s: K.adam_update(p, g, s[0], s[1], 0.1, 0.9, 0.999, 1e-7, 1), 2,
             ["ms", "vs"]),
    "adamax": (lambda p, g, s: K.adamax_update(p, g, s[0], s[1], 0.1, 0.9, 0.999, 1e-7, 1), 2,
               ["ms", "us"]),
    "rmsprop": (lambda p, g, s: K.rmsprop_update(p, g, s[0], s[1], 0.1, 0.9, 0.5, 1e-7), 2,
                ["ms", "moms"]),
    "rmsprop_centered": (lambda p, g, s: K.rmsprop_update(p, g, s[0], s[1], 0.1, 0.9, 0.5, 1e-7,
                                                          centered=True, mgs=s[2]), 3,
                         ["ms", "moms", "mgs"]),
}


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_misaligned_arrays_are_refused_in_every_list(name):
    call, n_states, state_names = KERNELS[name]
    for list_name in ["params", "grads"] + state_names:
        for index in (0, 2):
            params, grads, states = problem(n_states)
            lists = dict(zip(["params", "grads"] + state_names, [params, grads] + states))
            lists[list_name][index] = misaligned(lists[list_name][index])
            before = [[a.copy() for a in lst] for lst in [params, grads] + states]
            with pytest.raises(ValueError, match=rf"^{name.split('_')[0]}_update: argument "
                                                 rf"'{list_name}\[{index}\]' must be aligned"):
                call(params, grads, states)
            for lst, saved in zip([params, grads] + states, before):  # nothing was touched
                for a, b in zip(lst, saved):
                    np.testing.assert_array_equal(a, b)


def test_the_same_values_aligned_are_updated():
    """The refusal is about the layout only: an aligned copy of the same values works."""
    params, grads, (ms, vs) = problem(2)
    bad = misaligned(params[1])
    good = [params[0], np.ascontiguousarray(bad.copy()), params[2]]
    K.adam_update(good, grads, ms, vs, 0.1, 0.9, 0.999, 1e-7, 1)
    assert not np.array_equal(good[1], bad)  # updated in place
    np.testing.assert_array_equal(bad, params[1])
