"""Running a script under `mpiexec -n N` from a test: the MPI launcher of the Python
running the tests (the mpich wheel installs it next to python), or the one on PATH.
Tests that need it skip cleanly when mpi4py or mpiexec is absent, and fail instead when
TREINO_REQUIRE_MPI is set (CI installs the mpi extra)."""
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest

HERE = pathlib.Path(__file__).resolve().parent


def _missing(what):
    message = f"{what} is not installed (pip install 'treino[mpi]')"
    if os.environ.get("TREINO_REQUIRE_MPI"):
        pytest.fail(message + " and TREINO_REQUIRE_MPI is set")
    pytest.skip(message)


def mpiexec():
    try:
        import mpi4py  # noqa: F401 (only whether it is there: MPI starts in the scripts)
    except ImportError:
        _missing("mpi4py")
    beside = pathlib.Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        _missing("mpiexec")
    return found


def run(n, script, *args, timeout=120):
    """Runs tests/distributed/<script> on n processes; returns (CompletedProcess,
    seconds). The environment (PYTHONPATH included) is passed on; every process uses
    one thread."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
        [str(HERE)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    start = time.monotonic()
    out = subprocess.run([mpiexec(), "-n", str(n), sys.executable, str(HERE / script),
                          *map(str, args)], capture_output=True, text=True, env=env,
                         timeout=timeout)
    return out, time.monotonic() - start
