"""tn.distributed: data-parallel training over MPI (docs/distributed.md).

    # mpiexec -n 2 python train.py
    import treino as tn
    tn.distributed.init()
    model.fit(x, y, batch_size=32)   # each process: 32 samples of a 64-sample global batch

After init() in a job of several processes, fit, fit_dataset, evaluate,
evaluate_dataset and train_on_batch run on every process together: process 0's weights
and optimizer state are copied to the others at the start, each process trains on its
part of every global batch, one all-reduce per step sums the gradients (and the loss and
metrics, so the logs are global), and only process 0 prints and writes files. The
learning rate is not rescaled: a global batch is size() x batch_size samples.

mpi4py (`pip install 'treino[mpi]'`) is imported by init() only; before init() (or in a
job of one process) everything runs as in a single process: rank() is 0, size() is 1.
"""
import numbers

import numpy as np

from ..core.tensor import Tensor
from . import state
from .state import is_main, local_rank, rank, size
from .optimizer import DistributedOptimizer


def init(timeout=300.0):
    """Joins the MPI job this process was started in (`mpiexec -n N python script.py`;
    a plain `python script.py` is a job of one). Idempotent. Returns (rank, size,
    local_rank). `timeout`: seconds a process waits in a collective for the others
    before it ends the whole job (one process stuck or gone). Unless OMP_NUM_THREADS is
    set or set_num_threads was called, the processes on one machine share its cores
    (treino's thread count is cores / processes on the machine)."""
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or \
            not 0 < timeout < float("inf"):
        raise ValueError(f"init: argument 'timeout' must be a positive number of seconds, "
                         f"received {timeout!r}")
    if state._info[0] is not None:
        if state._active[0] is not None:
            state._active[0].timeout = float(timeout)
        return state._info[0][:3]
    try:
        from mpi4py import MPI
    except ImportError:
        raise ImportError("tn.distributed.init: mpi4py is not installed; install the extra "
                          "with pip install 'treino[mpi]' (mpi4py and the MPICH library), "
                          "then start the script with mpiexec -n N python script.py") from None
    from .. import _kernels
    from .context import Context, threads_per_process
    ctx = Context(MPI, float(timeout))
    state._info[0] = (ctx.rank, ctx.size, ctx.local_rank, ctx.local_size)
    if ctx.size > 1:
        state._active[0] = ctx
        threads_per_process(ctx, _kernels.get_num_threads, _kernels.set_num_threads)
    return state._info[0][:3]


def barrier():
    """Waits until every process has called barrier()."""
    ctx = state.active()
    if ctx is not None:
        with ctx.guard("barrier"):
            ctx.barrier("barrier")


def broadcast_weights(model_or_variables, root=0):
    """Copies process `root`'s weights to every process: a model's weights (and, when
    compiled, its optimizer's state), or a list of Variables. Every process must call it
    with the same model; a model whose weight shapes differ between processes raises
    ValueError on every process. fit and fit_dataset do this themselves at the start."""
    fn = "broadcast_weights"
    from . import weights
    variables = weights.variables_of(model_or_variables, fn)
    if isinstance(root, bool) or not isinstance(root, numbers.Integral) or \
            not 0 <= root < size():
        raise ValueError(f"{fn}: argument 'root' must be a process rank in [0, {size()}), "
                         f"received {root!r}")
    ctx = state.active()
    if ctx is None:
        return
    with ctx.guard(fn):
        optimizer = getattr(model_or_variables, "optimizer", None)
        weights.check_same(ctx, fn, weights.describe(variables, optimizer))
        weights.broadcast(ctx, variables, optimizer, int(root), fn)


def allreduce(tensor, op="mean"):
    """The sum (op='sum') or mean (op='mean') over the processes of a tensor of the same
    shape on every process, as a new Tensor (a mean is float32)."""
    fn = "allreduce"
    if op not in ("mean", "sum"):
        raise ValueError(f"{fn}: argument 'op' must be 'mean' or 'sum', received {op!r}")
    from .weights import as_array
    a = as_array(tensor, fn)
    ctx = state.active()
    if ctx is not None:
        with ctx.guard(fn):
            ctx.allreduce(a.reshape(-1), fn)  # (a view: a 0-d array too)
    if op == "mean":
        a = np.asarray(a / size(), np.float32)
    return Tensor(a)


__all__ = ["init", "rank", "size", "local_rank", "is_main", "barrier", "broadcast_weights",
           "allreduce", "DistributedOptimizer"]
