"""The README's main job: python -m treino.demo trains on the bundled digits to >= 95%
held-out accuracy, prints the summary and the accuracy line, and saves a plot."""
import pathlib
import subprocess
import sys

import pytest


def test_demo_reaches_95_percent(tmp_path):
    png = tmp_path / "curves.png"
    out = subprocess.run([sys.executable, "-m", "treino.demo", "--quiet", "--plot", str(png)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(l.startswith("Layer (type)") for l in lines)
    acc_line = [l for l in lines if l.startswith("test accuracy: ")]
    assert len(acc_line) == 1
    assert float(acc_line[0].split(": ")[1]) >= 0.95
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_history_errors(tmp_path):
    pytest.importorskip("matplotlib")
    import treino as tn
    with pytest.raises(ValueError, match="history"):
        tn.vis.plot_history({}, str(tmp_path / "x.png"))
    with pytest.raises(ValueError, match="no series 'acc'"):
        tn.vis.plot_history({"loss": [1.0, 0.5]}, str(tmp_path / "x.png"), metrics=["acc"])
    path = tn.vis.plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, str(tmp_path / "y.png"))
    assert pathlib.Path(path).stat().st_size > 1000
