"""tn.distributed in one process (no init, no MPI): rank 0 of 1, every call a no-op or
an identity, training untouched; its argument checks; `import treino` loading no MPI;
and Dataset.shard (tf.data's) against plain slicing."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import treino as tn


def test_before_init_one_process_of_rank_zero():
    d = tn.distributed
    assert (d.rank(), d.size(), d.local_rank(), d.is_main()) == (0, 1, 0, True)
    d.barrier()
    t = tn.tensor([[1.5, -2.0]])
    for op in ("mean", "sum"):
        out = d.allreduce(t, op=op)
        assert out.dtype == "float32" and out.numpy().tolist() == [[1.5, -2.0]]
    assert d.allreduce(np.array([3, 4], np.int32), op="sum").numpy().tolist() == [3, 4]
    v = tn.variable(np.arange(3, dtype=np.float32))
    d.broadcast_weights([v])
    assert v.numpy().tolist() == [0.0, 1.0, 2.0]


def test_distributed_optimizer_alone_is_the_optimizer_sharing_its_state():
    w = tn.variable(np.array([1.0, -2.0], np.float32))
    opt = tn.train.adam(0.1)
    dopt = tn.distributed.DistributedOptimizer(opt)
    assert isinstance(dopt, type(opt)) and type(dopt).__name__ == "DistributedAdamOptimizer"
    assert tn.distributed.DistributedOptimizer(dopt) is dopt
    ref = tn.variable(np.array([1.0, -2.0], np.float32))
    ref_opt = tn.train.adam(0.1)
    for _ in range(3):
        dopt.minimize(lambda: tn.sum(tn.square(w)))
        ref_opt.minimize(lambda: tn.sum(tn.square(ref)))
    assert np.array_equal(w.numpy(), ref.numpy())
    assert opt.iterations == 3 and dopt.learning_rate == 0.1
    dopt.learning_rate = 0.5  # one state: the wrapped optimizer sees it
    assert opt.learning_rate == 0.5
    assert dopt.get_config() == opt.get_config()


def test_argument_errors_name_the_argument():
    d = tn.distributed
    with pytest.raises(ValueError, match="'op' must be 'mean' or 'sum', received 'max'"):
        d.allreduce(tn.tensor([1.0]), op="max")
    with pytest.raises(TypeError, match="'tensor' must be a Tensor, a numpy array or a number"):
        d.allreduce("1.0")
    with pytest.raises(TypeError, match="float32 or int32, received dtype bool"):
        d.allreduce(np.array([True]))
    with pytest.raises(ValueError, match=r"'root' must be a process rank in \[0, 1\), received 1"):
        d.broadcast_weights([tn.variable(np.zeros(2, np.float32))], root=1)
    with pytest.raises(TypeError, match="item 0 must be a Variable"):
        d.broadcast_weights([np.zeros(2)])
    with pytest.raises(ValueError, match="'timeout' must be a positive number of seconds"):
        d.init(timeout=0)
    with pytest.raises(TypeError, match="must be a tn.train optimizer, received str"):
        d.DistributedOptimizer("adam")


def test_import_treino_loads_no_mpi():
    code = textwrap.dedent("""
        import json, sys
        import treino as tn
        first = "mpi4py" in sys.modules
        d = tn.distributed
        tn.sequential(layers=[tn.layers.dense(units=2, input_shape=[3])]).compile(
            optimizer="sgd", loss="meanSquaredError")
        print(json.dumps([first, "mpi4py" in sys.modules, d.size()]))
        """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ), timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [False, False, 1]


def _elements(ds):
    return [int(e.item()) for e in ds]


@pytest.mark.parametrize("n, shards", [(10, 3), (9, 3), (2, 3), (0, 2), (7, 1)])
def test_shard_takes_every_kth_element_from_index(n, shards):
    ds = tn.data.array(np.arange(n, dtype=np.int32))
    parts = [ds.shard(shards, i) for i in range(shards)]
    for i, part in enumerate(parts):
        assert _elements(part) == list(range(i, n, shards))
        assert part.size == len(range(i, n, shards))
    assert sorted(sum((_elements(p) for p in parts), [])) == list(range(n))


def test_shard_before_batch_gives_the_global_batches():
    # Shard k of (shuffle, shard, batch(b)) holds, at step j, every shards-th element of
    # the j-th batch of (shuffle, batch(shards * b)): the data-parallel global batch.
    # (Each process builds its own pipeline: here one per shard, each at its first pass.)
    def base():
        return tn.data.array(np.arange(23, dtype=np.int32)).shuffle(30, seed=4)
    glob = [b.numpy().tolist() for b in base().batch(6)]
    parts = [[b.numpy().tolist() for b in base().shard(3, i).batch(2)] for i in range(3)]
    for j, batch in enumerate(glob):
        for i in range(3):
            mine = parts[i][j] if j < len(parts[i]) else []
            assert mine == batch[i::3]


def test_shard_sizes_of_unknown_and_endless_datasets_and_errors():
    ds = tn.data.array(np.arange(5, dtype=np.int32))
    assert ds.filter(lambda e: True).shard(2, 0).size is None
    assert _elements(ds.repeat().shard(2, 1).take(4)) == [1, 3, 0, 2]
    assert repr(ds.repeat().shard(2, 1)) == "<_Derived size=infinite>"
    with pytest.raises(ValueError, match="'num_shards' must be a positive int, received 0"):
        ds.shard(0, 0)
    with pytest.raises(ValueError, match=r"'index' must be an int in \[0, num_shards\) = "
                                         r"\[0, 2\), received 2"):
        ds.shard(2, 2)
    with pytest.raises(ValueError, match="received True"):
        ds.shard(2, True)
