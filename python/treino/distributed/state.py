"""Whether this process trains data-parallel, for the rest of treino. Loads no MPI:
`import treino` and single-process training never import mpi4py (see context.py, loaded
by tn.distributed.init())."""
import functools
import os
import warnings

from .._config import user_stacklevel

# The Context once tn.distributed.init() ran in a job of more than one process, else None.
_active = [None]
# (rank, size, local_rank, local_size) once init() ran, whatever the size.
_info = [None]


def active():
    """The Context of a data-parallel job (more than one process), or None: fit,
    fit_dataset, evaluate and the callbacks ask this."""
    return _active[0]


def rank():
    """This process's rank, 0 to size() - 1; 0 before init() (one process)."""
    return _info[0][0] if _info[0] else 0


def size():
    """The number of processes; 1 before init()."""
    return _info[0][1] if _info[0] else 1


def local_rank():
    """This process's rank among the processes on its machine; 0 before init()."""
    return _info[0][2] if _info[0] else 0


def is_main():
    """True on rank 0 (and in a single process): the one process that prints progress
    and writes files."""
    return rank() == 0


def warn_if_alone():
    """Warns once when this process is one of several that mpiexec started but
    tn.distributed.init() was not called: each would train alone on all the data.
    (MPICH and Intel MPI set PMI_SIZE, Open MPI OMPI_COMM_WORLD_SIZE.)"""
    if _info[0] is not None or _warned[0]:
        return
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 1:
            _warned[0] = True
            warnings.warn(f"this process is one of {value} that mpiexec started, but "
                          f"tn.distributed.init() was not called: each process trains "
                          f"alone on all of its data; call tn.distributed.init() first to "
                          f"train them together", RuntimeWarning, stacklevel=user_stacklevel())
            return


_warned = [False]


def collective_call(method):
    """For the Model methods that every process of a data-parallel job runs together
    (fit, fit_dataset, evaluate...): an exception raised on one process is sent to the
    others, which stop with an error naming it instead of waiting for it forever (see
    Context.guard). Single-process: a plain call."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        ctx = _active[0]
        if ctx is None:
            return method(self, *args, **kwargs)
        with ctx.guard(method.__name__):
            return method(self, *args, **kwargs)
    return call
