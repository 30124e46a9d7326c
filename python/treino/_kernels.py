"""The native kernels (treino._core): the only module that imports the extension.

Every function here takes and returns numpy float32 (or int32) C-contiguous arrays and
checks its arguments in C++ before any kernel runs. Higher layers (core ops, optimizers)
call these; users normally don't.
"""
from . import _core

cpu_info = _core.cpu_info
set_isa = _core.set_isa


def get_num_threads():
    """Number of threads the kernels use (default: OMP_NUM_THREADS or the core count)."""
    return _core.get_num_threads()


def set_num_threads(n):
    """Sets the number of threads the kernels use. Results do not depend on it."""
    _core.set_num_threads(n)


# Every kernel the families registered on _core, as plain attributes of this module (a
# module-level __getattr__ would add ~0.7 us to every op call).
globals().update({k: v for k, v in vars(_core).items()
                  if not k.startswith("_") and k not in globals()})
