import pytest

from treino import _kernels as K

SUPPORTED_ISAS = K.cpu_info()["supported_isas"]


@pytest.fixture(params=SUPPORTED_ISAS)
def isa(request):
    """Runs a test once per kernel path this CPU supports (as TREINO_CPU_ISA would)."""
    previous = K.cpu_info()["isa"]
    K.set_isa(request.param)
    try:
        yield request.param
    finally:
        K.set_isa(previous)


@pytest.fixture(params=[1, 2])
def threads(request):
    """Runs a test single-threaded and with two threads."""
    previous = K.get_num_threads()
    K.set_num_threads(request.param)
    try:
        yield request.param
    finally:
        K.set_num_threads(previous)
