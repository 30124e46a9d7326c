"""tn.data sources and transformations: order, counts, sizes, nesting and dtypes, checked
against plain Python/numpy computations of the same pipelines."""
import math

import numpy as np
import pytest

import treino as tn
from treino import data as td


def values(ds):
    """Elements of one pass with Tensors turned into numpy arrays (recursively)."""
    return [_np(x) for x in ds]


def _np(x):
    if isinstance(x, tn.Tensor):
        return x.numpy()
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_np(v) for v in x)
    return x


def counting_gen(n, calls=None):
    def gen():
        if calls is not None:
            calls.append(1)
        yield from range(n)
    return gen


# -- sources ---------------------------------------------------------------------------
def test_generator_restarts_every_pass_and_has_unknown_size():
    calls = []
    ds = td.generator(counting_gen(5, calls))
    assert ds.size is None
    assert list(ds) == [0, 1, 2, 3, 4]
    assert list(ds) == [0, 1, 2, 3, 4]
    assert len(calls) == 2  # fn was called anew for the second pass


def test_generator_accepts_iterables_and_tfjs_style_iterators():
    assert list(td.generator(lambda: [3, 1, 2])) == [3, 1, 2]

    class JsIterator:  # what a ported TF.js generator returns: next() -> {value, done}
        def __init__(self):
            self.i = 0

        def next(self):
            self.i += 1
            return {"value": self.i, "done": self.i > 3}
    assert list(td.generator(JsIterator)) == [1, 2, 3]


def test_generator_rejects_a_generator_object_with_a_hint():
    with pytest.raises(TypeError, match="gen, not gen()"):
        td.generator(counting_gen(3)())
    with pytest.raises(TypeError, match="returned int"):
        list(td.generator(lambda: 5))


def test_array_of_numbers_lists_and_dicts():
    assert list(td.array([1, 2, 3])) == [1, 2, 3]
    items = [{"a": 1, "b": [1, 2]}, {"a": 2, "b": [3, 4]}]
    ds = td.array(items)
    assert ds.size == 2 and list(ds) == items


def test_array_splits_numpy_and_tensors_along_axis_0_with_tensor_dtype_rules():
    x = np.arange(12, dtype=np.int64).reshape(4, 3)
    rows = list(td.array(x))
    assert len(rows) == 4 and all(isinstance(r, tn.Tensor) for r in rows)
    assert rows[2].dtype == "int32" and rows[2].shape == (3,)
    np.testing.assert_array_equal(rows[2].numpy(), x[2])
    scalars = list(td.array(np.array([0.5, 1.5])))  # rank 1 -> rank-0 tensors
    assert scalars[1].shape == () and scalars[1].dtype == "float32" and scalars[1].item() == 1.5
    t = tn.tensor([[1, 2], [3, 4]])
    np.testing.assert_array_equal(values(td.array(t))[1], [3, 4])


def test_array_is_isolated_from_later_writes_to_the_source():
    x = np.zeros((3, 2), np.float32)
    v = tn.variable(tn.zeros([3, 2]))
    ds, dv = td.array(x), td.array(v)
    x[:] = 7
    v.assign(tn.ones([3, 2]))
    assert np.all(np.stack(values(ds)) == 0) and np.all(np.stack(values(dv)) == 0)


def test_array_rejects_scalars_and_other_types():
    with pytest.raises(ValueError, match="items"):
        td.array(np.array(3.0))
    with pytest.raises(TypeError, match="items"):
        td.array({"xs": [1, 2]})


def test_zip_keeps_nesting_and_stops_at_the_shortest():
    a, b, c = td.array([1, 2, 3]), td.array(["x", "y"]), td.array([10, 20, 30, 40])
    ds = td.zip({"ab": (a, b), "c": [c]})
    assert ds.size == 2
    assert list(ds) == [{"ab": (1, "x"), "c": [10]}, {"ab": (2, "y"), "c": [20]}]
    assert td.zip([a, td.generator(counting_gen(9))]).size is None


def test_zip_rejects_non_dataset_leaves_naming_the_path():
    with pytest.raises(TypeError, match=r"datasets\['ys'\]\[1\] is int"):
        td.zip({"xs": td.array([1]), "ys": (td.array([1]), 3)})
    with pytest.raises(TypeError, match="datasets"):
        td.zip(td.array([1]))


def test_zip_closes_the_longer_stream():
    closed = []

    def gen():
        try:
            yield from range(100)
        finally:
            closed.append(True)
    assert len(list(td.zip([td.array([1, 2]), td.generator(gen)]))) == 2
    assert closed == [True]


# -- transformations -------------------------------------------------------------------
def test_map_filter_take_skip_concatenate_match_python():
    ds = td.array(list(range(10)))
    assert list(ds.map(lambda x: x * x)) == [x * x for x in range(10)]
    assert list(ds.filter(lambda x: x % 3 == 0)) == [0, 3, 6, 9]
    assert list(ds.take(4)) == [0, 1, 2, 3] and list(ds.take(40)) == list(range(10))
    assert list(ds.skip(7)) == [7, 8, 9] and list(ds.skip(12)) == []
    assert list(ds.take(2).concatenate(ds.skip(8))) == [0, 1, 8, 9]
    assert list(ds.skip(2).take(3).map(lambda x: -x)) == [-2, -3, -4]


def test_take_zero_never_starts_the_source():
    calls = []
    assert list(td.generator(counting_gen(3, calls)).take(0)) == [] and calls == []


def test_repeat_counts_and_forever():
    calls = []
    ds = td.generator(counting_gen(3, calls))
    assert list(ds.repeat(2)) == [0, 1, 2, 0, 1, 2] and len(calls) == 2
    assert list(ds.repeat(0)) == []
    assert list(ds.repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert list(td.array([]).repeat()) == []  # an empty source does not hang


def test_sizes_follow_tfjs_rules():
    a = td.array(list(range(10)))
    g = td.generator(counting_gen(10))
    assert a.size == 10 and g.size is None
    assert a.batch(3).size == 4 and a.batch(3, small_last_batch=False).size == 3
    assert a.take(4).size == 4 and a.take(40).size == 10 and g.take(4).size is None
    assert a.skip(4).size == 6 and a.skip(40).size == 0
    assert a.map(abs).size == 10 and a.filter(bool).size is None
    assert a.repeat(3).size == 30 and a.repeat().size is None and g.repeat(2).size is None
    assert a.repeat().take(25).size == 25  # endless then taken: known again
    assert a.concatenate(a.take(2)).size == 12 and a.concatenate(g).size is None
    assert a.shuffle(4).size == 10 and a.prefetch(2).size == 10
    with pytest.raises(ValueError, match="endless"):
        a.repeat().to_array()


def test_batch_small_last_batch_on_and_off():
    ds = td.array(list(range(7)))
    full = values(ds.batch(3))
    assert [b.tolist() for b in full] == [[0, 1, 2], [3, 4, 5], [6]]
    assert all(b.dtype == np.float32 for b in full)  # JS numbers are float32 in TF.js
    assert [b.tolist() for b in values(ds.batch(3, small_last_batch=False))] == \
        [[0, 1, 2], [3, 4, 5]]
    assert values(ds.batch(7, False))[0].tolist() == list(range(7))
    assert values(ds.take(2).batch(3, small_last_batch=False)) == []


def test_batch_dtypes_follow_tensor_rules():
    b = next(iter(td.array([True, False, True]).batch(3)))
    assert b.dtype == "bool" and b.numpy().tolist() == [True, False, True]
    b = next(iter(td.array(np.arange(6).reshape(3, 2)).batch(3)))
    assert b.dtype == "int32" and b.shape == (3, 2)
    b = next(iter(td.array([np.float64(1.5), np.float64(2)]).batch(2)))
    assert b.dtype == "float32"
    b = next(iter(td.array([np.array([1, 2]), np.array([3, 4])]).batch(2)))
    assert b.dtype == "int32" and b.numpy().tolist() == [[1, 2], [3, 4]]


def test_batch_keeps_nesting_of_dicts_tuples_and_lists():
    items = [{"xs": {"a": i, "img": [[i, i + 1], [i + 2, i + 3]]},
              "ys": (i % 2 == 0, tn.tensor([i, -i]))} for i in range(5)]
    (b0, b1) = values(td.array(items).batch(3))
    assert set(b0) == {"xs", "ys"} and set(b0["xs"]) == {"a", "img"}
    np.testing.assert_array_equal(b0["xs"]["a"], [0, 1, 2])
    np.testing.assert_array_equal(b1["xs"]["img"], np.array([it["xs"]["img"] for it in items[3:]]))
    assert isinstance(b0["ys"], tuple) and b0["ys"][0].dtype == np.bool_
    np.testing.assert_array_equal(b0["ys"][1], [[0, 0], [1, -1], [2, -2]])
    # A list of Tensors (as zip([a, b]) yields) is structure; a list of numbers is data.
    (z,) = values(td.zip([td.array(np.eye(2)), td.array(np.ones((2, 3)))]).batch(2))
    assert isinstance(z, list) and z[0].shape == (2, 2) and z[1].shape == (2, 3)
    (n,) = values(td.array([[1, 2, 3], [4, 5, 6]]).batch(2))
    assert n.shape == (2, 3)


def test_batch_over_arrays_equals_stacking_rows():
    # zip of arrays takes the slicing fast path; map forces the row-by-row path
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((11, 4)), rng.integers(0, 5, 13)
    z = td.zip({"xs": td.array(x), "ys": td.array(y)})
    for small in (True, False):
        fast = values(z.batch(4, small))
        slow = values(z.map(lambda e: e).batch(4, small))
        assert len(fast) == len(slow) == (3 if small else 2)
        for f, s in zip(fast, slow):
            for k in ("xs", "ys"):
                assert f[k].dtype == s[k].dtype
                np.testing.assert_array_equal(f[k], s[k])
    np.testing.assert_array_equal(fast[1]["xs"], x[4:8].astype(np.float32))


def test_iterator_protocols():
    it = td.array([1, 2]).map(lambda x: x + 1).iterator()
    assert it.next() == {"value": 2, "done": False}
    assert next(it) == 3
    assert it.next() == {"value": None, "done": True}
    assert list(td.array([5, 6]).iterator()) == [5, 6]
    seen = []
    td.array([1, 2, 3]).for_each(seen.append)
    assert seen == [1, 2, 3] and td.array([4]).to_array() == [4]


def test_passes_are_independent():
    ds = td.array(list(range(5))).map(lambda x: x + 1)
    it1, it2 = iter(ds), iter(ds)
    assert next(it1) == 1 and next(it1) == 2 and next(it2) == 1


@pytest.mark.parametrize("call, arg", [
    (lambda d: d.batch(0), "batch_size"), (lambda d: d.batch(2.5), "batch_size"),
    (lambda d: d.take(-1), "count"), (lambda d: d.skip(-2), "count"),
    (lambda d: d.repeat(-1), "count"), (lambda d: d.shuffle(0), "buffer_size"),
    (lambda d: d.shuffle(4, seed=[1]), "seed"), (lambda d: d.prefetch(0), "buffer_size")])
def test_bad_arguments_name_the_argument(call, arg):
    with pytest.raises(ValueError, match=f"'{arg}'"):
        call(td.array([1, 2, 3]))


@pytest.mark.parametrize("call, arg", [
    (lambda d: d.map(3), "fn"), (lambda d: d.filter(None), "predicate"),
    (lambda d: d.concatenate([1]), "other"), (lambda d: d.for_each("x"), "fn")])
def test_bad_callables_name_the_argument(call, arg):
    with pytest.raises(TypeError, match=f"'{arg}'"):
        call(td.array([1, 2, 3]))


def test_size_is_none_for_unknown_and_int_otherwise():
    assert isinstance(td.array(np.ones((5, 2))).batch(2).size, int)
    assert td.array([1]).repeat().size is None
    assert math.isinf(td.array([1]).repeat()._size)


def test_async_forms_of_tfjs_are_awaited():
    """TF.js's forEachAsync / mapAsync and async functions: a ported `async def` is
    awaited, element by element, in order."""
    seen = []

    async def record(x):
        seen.append(x)

    async def times_ten(x):
        return x * 10
    td.array([1, 2, 3]).for_each_async(record)
    td.array([4]).forEachAsync(record)
    assert seen == [1, 2, 3, 4]
    assert td.array([1, 2]).map_async(times_ten).to_array() == [10, 20]
    assert td.array([1, 2]).mapAsync(times_ten).to_array() == [10, 20]
    assert td.array([3]).map(times_ten).to_array() == [30]  # map awaits too, as TF.js's

    class AsyncIterator:  # a TF.js iterator whose next() is async
        def __init__(self):
            self.i = 0

        async def next(self):
            self.i += 1
            return {"value": self.i, "done": self.i > 2}
    assert td.generator(AsyncIterator).to_array() == [1, 2]


def test_func_calls_its_function_for_every_element():
    count = [0]

    def f():
        count[0] += 1
        return {"value": count[0], "done": count[0] % 4 == 0}
    ds = td.func(f)
    assert ds.to_array() == [1, 2, 3]
    assert ds.to_array() == [5, 6, 7]  # a new pass calls f anew: TF.js's passes may differ
    np.testing.assert_array_equal(
        values(td.func(lambda: {"value": tn.ones([2]), "done": False}).take(2)), np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"data.func: argument 'f' must be callable"):
        td.func(3)
    with pytest.raises(TypeError, match=r"data.func: the function must return \{'value'"):
        td.func(lambda: 5).to_array()


def test_coroutines_run_inside_a_running_event_loop_too():
    """asyncio.run(main()) around a pipeline (TF.js's `async function run()` ported): the
    coroutine runs on a helper thread's loop, and its exception comes back."""
    import asyncio

    async def times_ten(x):
        await asyncio.sleep(0)
        return x * 10

    async def fails(x):
        raise KeyError("inside")

    async def main():
        assert td.array([1, 2]).map(times_ten).to_array() == [10, 20]
        with pytest.raises(KeyError, match="inside"):
            td.array([1]).map(fails).to_array()
        return True
    assert asyncio.run(main())
