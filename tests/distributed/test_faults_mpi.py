"""Faults in a data-parallel job (mpi_faults.py under mpiexec -n 2): processes with
different models get the same clear error and can carry on; a process whose data raises
stops every process within seconds, each reporting the error; a process that never
joins makes the others end the job after the timeout instead of hanging; processes
started by mpiexec without tn.distributed.init() warn that they train alone."""
import mpi_util


def test_model_mismatch_then_bad_data_on_one_process():
    proc, seconds = mpi_util.run(2, "mpi_faults.py", "mismatch", timeout=60)
    out = proc.stdout
    assert proc.returncode != 0
    for r in (0, 1):
        assert (f"rank {r} refused: fit: the processes disagree: weight 0 is "
                f"'dense_Dense1/kernel' of shape [12, 16] (float32) on process 0 but "
                f"'dense_Dense1/kernel' of shape [12, 15] (float32) on process 1: every "
                f"process must build the same model") in out
        assert (f"rank {r} refused: fit: the processes disagree: the training data differ "
                f"(process 0 has 40 samples, process 1 39, and their values differ)") in out
        assert f"rank {r} trained" in out
        assert f"rank {r} was not stopped" not in out
    stops = {l.split()[1]: l for l in out.splitlines() if " stopped after " in l}
    assert set(stops) == {"0", "1"}
    assert stops["1"].endswith("ValueError: bad sample in process 1's shard")
    assert ("RemoteError: a training step: process 1 of 2 raised an error, so every "
            "process stops: ValueError in fit_dataset: bad sample in process 1's shard"
            ) in stops["0"]
    for line in stops.values():
        assert float(line.split(" stopped after ")[1].split(" s:")[0]) < 5
    assert seconds < 30


def test_a_process_that_never_joins_ends_the_job_after_the_timeout():
    proc, seconds = mpi_util.run(2, "mpi_faults.py", "stuck", timeout=60)
    assert proc.returncode != 0
    assert ("treino.distributed: process 0 of 2 waited 1 s in barrier for the other "
            "processes") in proc.stderr
    assert seconds < 30  # not the 60 s process 1 sleeps


def test_processes_started_without_init_warn_that_they_train_alone():
    proc, _ = mpi_util.run(2, "mpi_faults.py", "alone", timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    warning = ("mpi_faults.py:14: RuntimeWarning: this process is one of 2 that mpiexec "
               "started, but tn.distributed.init() was not called: each process trains "
               "alone on all of its data")
    assert proc.stderr.count(warning) == 2
