"""Dataset.shuffle: TF.js's buffered shuffle. Each pass is a permutation; outputs are drawn
uniformly from a buffer of buffer_size elements, so the first two outputs have a known
distribution and no element leaves more than buffer_size - 1 places early; seeds make the
sequence of passes reproducible."""
import numpy as np
import pytest

import treino as tn
from treino import data as td


def passes(ds, k):
    return [list(ds) for _ in range(k)]


@pytest.mark.parametrize("buffer_size", [1, 2, 7, 50, 200])
def test_every_pass_is_a_permutation(buffer_size):
    ds = td.generator(lambda: iter(range(50))).shuffle(buffer_size)
    for p in passes(ds, 3):
        assert sorted(p) == list(range(50))


def test_buffer_of_one_is_the_identity():
    assert list(td.array(list(range(30))).shuffle(1)) == list(range(30))


@pytest.mark.parametrize("k", [2, 5])
def test_elements_never_leave_more_than_buffer_minus_one_places_early(k):
    # Element i enters the buffer only after output i-k, so it cannot come out earlier.
    ds = td.array(list(range(40))).shuffle(k, seed=1)
    moved_late = 0
    for p in passes(ds, 20):
        pos = {x: j for j, x in enumerate(p)}
        assert all(pos[i] >= i - (k - 1) for i in range(40))
        moved_late += sum(pos[i] > i for i in range(40))
    assert moved_late > 0  # it does shuffle


def chi2(counts, probs):
    expected = np.asarray(probs) * counts.sum()
    return float(((counts - expected) ** 2 / expected).sum())


def test_first_two_outputs_have_the_buffered_distribution():
    # Buffer k=4 over 0..7: output 0 is uniform on {0..3}; output 1 is element 4 with
    # probability 1/4 and each of 0..3 with probability (3/4)(1/4) = 3/16.
    ds = td.array(list(range(8))).shuffle(4, seed=123)
    n = 4000
    first, second = np.zeros(8), np.zeros(8)
    for _ in range(n):
        p = list(ds)
        first[p[0]] += 1
        second[p[1]] += 1
    assert first[4:].sum() == 0 and second[5:].sum() == 0
    # 99.9% quantiles of chi-square with 3 and 4 degrees of freedom: 16.3 and 18.5
    assert chi2(first[:4], [0.25] * 4) < 16.3
    assert chi2(second[:5], [3 / 16] * 4 + [1 / 4]) < 18.5


def test_seeded_passes_differ_yet_repeat_when_the_program_reruns():
    def build():  # what a rerun of the same program would construct
        return td.array(list(range(20))).shuffle(5, seed=42)
    a, b = passes(build(), 4), passes(build(), 4)
    assert a == b
    assert a[0] != a[1] and a[1] != a[2]


def test_seeded_without_reshuffle_repeats_one_order():
    ds = td.array(list(range(20))).shuffle(20, seed=9, reshuffle_each_iteration=False)
    p = passes(ds, 3)
    assert p[0] == p[1] == p[2] and p[0] != list(range(20))
    other = td.array(list(range(20))).shuffle(20, seed=10, reshuffle_each_iteration=False)
    assert list(other) != p[0]


def test_unseeded_shuffle_follows_tn_set_seed():
    def run():
        tn.set_seed(5)
        ds = td.array(list(range(20))).shuffle(8)
        fixed = td.array(list(range(20))).shuffle(8, reshuffle_each_iteration=False)
        return passes(ds, 2), passes(fixed, 2)
    (a, fa), (b, fb) = run(), run()
    assert a == b and fa == fb
    assert a[0] != a[1] and fa[0] == fa[1]


def test_repeat_reshuffles_each_repetition():
    ds = td.array(list(range(30))).shuffle(30, seed=3).repeat(2)
    out = list(ds)
    first, second = out[:30], out[30:]
    assert sorted(first) == sorted(second) == list(range(30)) and first != second


def test_shuffle_after_zip_keeps_pairs_and_batches_stay_aligned():
    x = np.arange(50)
    ds = td.zip({"xs": td.array(x), "ys": td.array(x * 10)}).shuffle(16, seed=0).batch(8)
    seen = []
    for b in ds:
        xs, ys = b["xs"].numpy(), b["ys"].numpy()
        np.testing.assert_array_equal(ys, xs * 10)
        seen.extend(xs.tolist())
    assert sorted(seen) == list(range(50)) and seen != list(range(50))


def test_unseeded_order_does_not_depend_on_prefetch_timing():
    # The dataset's seed is drawn when shuffle() is called, so draws made by the main
    # thread while a prefetch thread runs the shuffle cannot change the order.
    def run(draws_between):
        tn.set_seed(11)
        ds = td.array(list(range(40))).shuffle(10).map(lambda x: x).prefetch(3)
        out = []
        for p in range(2):
            for x in ds:
                out.append(x)
                for _ in range(draws_between):
                    tn.random_normal([2])
        return out
    assert run(0) == run(3)


def test_a_string_seed_as_tfjs_takes():
    def build(seed):
        return td.array(list(range(30))).shuffle(30, seed=seed)
    a, b = passes(build("abc"), 2), passes(build("abc"), 2)
    assert a == b and a[0] != list(range(30)) and sorted(a[0]) == list(range(30))
    assert passes(build("abd"), 1)[0] != a[0]
    with pytest.raises(ValueError, match=r"shuffle: argument 'seed' must be an int, a string "
                                         r"or None, received 1.5"):
        build(1.5)
