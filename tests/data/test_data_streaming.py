"""Streaming behaviour of tn.data: errors keep their type and traceback and name the
element, batches name mismatched shapes, memory stays bounded on a million-element
stream, prefetch overlaps producer and consumer and leaves no thread behind."""
import threading
import time
import traceback
import tracemalloc

import numpy as np
import pytest

import treino as tn
from treino import data as td


class UserError(Exception):
    pass


def frames(exc):
    return [f.name for f in traceback.extract_tb(exc.__traceback__)]


def notes(exc):
    return " ".join(getattr(exc, "__notes__", []))


# -- errors ----------------------------------------------------------------------------
def failing_gen():
    for i in range(10):
        if i == 3:
            raise UserError("bad sample")
        yield i


def square_unless_two(x):
    if x == 2:
        return 1 / 0
    return x * x


@pytest.mark.parametrize("prefetch", [False, True])
def test_generator_error_keeps_type_traceback_and_names_the_element(prefetch):
    ds = td.generator(failing_gen).map(lambda x: x + 1).batch(2)
    ds = ds.prefetch(2) if prefetch else ds
    with pytest.raises(UserError, match="bad sample") as info:
        list(ds)
    assert "failing_gen" in frames(info.value)
    if hasattr(info.value, "add_note"):  # Python 3.11+
        assert "element 3" in notes(info.value)
        assert ("prefetch thread" in notes(info.value)) == prefetch


@pytest.mark.parametrize("prefetch", [False, True])
def test_map_error_keeps_type_traceback_and_names_the_element(prefetch):
    ds = td.array([0, 1, 2, 3]).map(square_unless_two)
    ds = ds.prefetch(1) if prefetch else ds
    with pytest.raises(ZeroDivisionError) as info:
        list(ds)
    assert "square_unless_two" in frames(info.value)
    if hasattr(info.value, "add_note"):
        assert "map function on element 2" in notes(info.value)


def test_filter_and_for_each_errors_name_the_element():
    def pred(x):
        raise KeyError(x)
    with pytest.raises(KeyError) as info:
        list(td.array([5, 6]).filter(pred))
    assert "pred" in frames(info.value)

    def consume(x):
        if x == 2:
            raise UserError("x")
    with pytest.raises(UserError) as info2:
        td.array([0, 1, 2]).for_each(consume)
    assert "consume" in frames(info2.value)
    if hasattr(info.value, "add_note"):
        assert "filter predicate on element 0" in notes(info.value)
        assert "for_each function on element 2" in notes(info2.value)


def test_batch_shape_mismatch_names_both_shapes_and_elements():
    items = [{"xs": [1.0, 2.0], "ys": 0}] * 4 + [{"xs": [1.0, 2.0, 3.0], "ys": 1}] + \
        [{"xs": [1.0, 2.0], "ys": 0}]
    with pytest.raises(ValueError) as info:
        list(td.array(items).batch(3))
    msg = str(info.value)
    assert "[2]" in msg and "[3]" in msg and "element 3" in msg and "element 4" in msg
    assert "'xs'" in msg
    tensors = [tn.zeros([2, 2]), tn.zeros([2, 2]), tn.zeros([3, 2])]
    with pytest.raises(ValueError, match=r"shape \[2, 2\] in element 0 and shape \[3, 2\] "
                                         r"in element 2"):
        list(td.array(tensors).batch(3))


def test_batch_structure_mismatches_and_strings_are_clear():
    with pytest.raises(ValueError, match=r"keys \['a'\].*element 1 has keys \['b'\]"):
        list(td.array([{"a": 1}, {"b": 2}]).batch(2))
    with pytest.raises(ValueError, match="tuple of length 2.*element 1 is a tuple of length 3"):
        list(td.array([(1, 2), (1, 2, 3)]).batch(2))
    with pytest.raises(TypeError, match="string"):
        list(td.array([{"name": "a"}, {"name": "b"}]).batch(2))
    with pytest.raises(ValueError, match="None"):
        list(td.array([1.0, None]).batch(2))


# -- memory ----------------------------------------------------------------------------
def test_a_million_element_stream_is_never_materialised():
    n = 1_000_000
    ds = td.generator(lambda: iter(range(n))).shuffle(100, seed=0).batch(32)
    tracemalloc.start()
    try:
        count = batches = 0
        for b in ds:
            count += b.shape[0]
            batches += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == n and batches == n // 32  # 1,000,000 = 31,250 x 32
    # A materialised list of 1M ints alone is ~36 MB; the buffer and a batch are ~10 KB.
    assert peak < 1_000_000, f"peak traced memory {peak} bytes"


# -- prefetch --------------------------------------------------------------------------
def test_prefetch_keeps_order_and_elements():
    ds = td.generator(lambda: iter(range(100))).map(lambda x: x * 2)
    assert list(ds.prefetch(3)) == list(ds)
    assert list(ds.prefetch(1).batch(7).prefetch(2).map(lambda b: b.shape[0])) == \
        [7] * 14 + [2]


def test_prefetch_overlaps_producer_and_consumer():
    n, p, c = 12, 0.02, 0.02

    def slow():
        for i in range(n):
            time.sleep(p)
            yield i
    start = time.perf_counter()
    for _ in td.generator(slow).prefetch(2):
        time.sleep(c)
    elapsed = time.perf_counter() - start
    # Serial needs at least n*(p+c) = 0.48 s; overlapped about n*max(p,c) + p = 0.26 s.
    assert elapsed < 0.8 * n * (p + c), f"{elapsed:.3f} s"


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "treino-data-prefetch"]


def _wait_for_no_prefetch_threads(deadline=2.0):
    end = time.perf_counter() + deadline
    while _prefetch_threads() and time.perf_counter() < end:
        time.sleep(0.01)
    return _prefetch_threads()


def test_no_thread_leak_when_the_consumer_stops_early():
    closed = []

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.append(True)
    ds = td.generator(endless).prefetch(4)
    for x in ds:
        if x == 5:
            break
    assert _wait_for_no_prefetch_threads() == [] and closed == [True]

    it = td.zip({"a": ds, "b": td.generator(endless).prefetch(2)}).prefetch(3).iterator()
    assert it.next()["value"] == {"a": 0, "b": 0}
    assert len(_prefetch_threads()) == 3
    it.close()
    assert _wait_for_no_prefetch_threads() == [] and closed == [True] * 3

    unused = iter(ds)  # a pass never started holds no thread
    assert _prefetch_threads() == []
    del unused


def test_prefetch_of_a_finished_pass_leaves_no_thread():
    list(td.array(list(range(10))).prefetch(2))
    assert _wait_for_no_prefetch_threads() == []


def test_prefetch_batches_feed_numpy_consumers():
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    got = np.concatenate([b.numpy() for b in td.array(x).batch(6).prefetch(2)])
    np.testing.assert_array_equal(got, x)


def test_prefetch_keeps_a_seeded_program_reproducible():
    """A generator drawing with tn.random_* behind prefetch, and a model drawing dropout
    masks: the producer thread draws from its own generator, split off the global one at
    a fixed point, so two seeded runs agree bit for bit whatever the threads' timing."""
    def run():
        tn.set_seed(1)
        m = tn.sequential(layers=[tn.layers.dense(units=8, input_shape=[4]),
                                  tn.layers.dropout(rate=0.5), tn.layers.dense(units=1)])
        m.compile(loss="meanSquaredError", optimizer="sgd")

        def gen():
            while True:
                yield {"xs": tn.random_normal([8, 4]), "ys": tn.random_normal([8, 1])}
        h = m.fit_dataset(tn.data.generator(gen).prefetch(4), epochs=2, batches_per_epoch=20,
                          verbose=0)
        return [w.numpy() for w in m.get_weights()], h.history
    (w1, h1), (w2, h2), (w3, h3) = run(), run(), run()
    assert h1 == h2 == h3
    for a, b, c in zip(w1, w2, w3):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
