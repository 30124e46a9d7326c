"""examples/distributed_fit.py runs as the README says, `mpiexec -n 2 python
examples/distributed_fit.py`: process 0 alone prints, and the model learns the digits."""
import pathlib

import mpi_util

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "distributed_fit.py"


def test_distributed_fit_example_on_two_processes():
    proc, _ = mpi_util.run(2, EXAMPLE, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert [l.split(" - ")[0] for l in lines if l.startswith("Epoch ")] == [
        f"Epoch {i}/10" for i in range(1, 11)]
    assert "2 process(es); final training loss" in proc.stdout
    acc = [l for l in lines if l.startswith("test accuracy: ")]
    assert len(acc) == 1 and float(acc[0].split(": ")[1]) >= 0.9
