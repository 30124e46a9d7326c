"""examples/sentiment_lstm.py (W6's model: embedding -> LSTM -> dense) learns its synthetic
reviews clearly above chance, as written."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_sentiment_example_learns_above_chance():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "sentiment_lstm.py")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    line = [l for l in out.stdout.splitlines() if l.startswith("test accuracy:")][0]
    acc = float(line.split()[2])
    chance = float(line.split("chance: ")[1].rstrip(")"))
    assert chance < 0.65 and acc >= 0.78, line
    assert "Total params: 1329473" in out.stdout  # 10000 x 128 + LSTM(64) + dense(1)
