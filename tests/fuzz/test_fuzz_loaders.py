"""Runs the loaders' fuzz target briefly (a fixed number of runs from its seeds): a
smoke test that the target works and that the seeds and their first mutations raise
nothing but the loader's own errors. Longer runs are by hand (README.md)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris")

TARGET = Path(__file__).with_name("fuzz_loaders.py")


def test_fuzz_loaders_briefly(tmp_path):
    corpus = tmp_path / "corpus"
    # TMPDIR: the target's work folder (a FIFO, a symlink to /dev/zero...) stays in tmp_path.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
               TMPDIR=str(tmp_path))
    r = subprocess.run([sys.executable, str(TARGET), str(corpus), "-runs=1000", "-seed=1",
                        "-timeout=10", "-rss_limit_mb=2048", "-max_len=20000"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr[-4000:]
    assert "Done 1000 runs" in r.stderr
    assert len(os.listdir(corpus)) >= 4        # the seeds, at least
    assert not [n for n in os.listdir(tmp_path) if n.startswith(("crash-", "timeout-", "oom-"))]
