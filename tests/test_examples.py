"""The seed's examples in examples/ run as written and show what the seed promises."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(name):
    out = subprocess.run([sys.executable, str(ROOT / "examples" / name)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_layers_api_example():
    out = run("layers_api.py")
    lines = out.splitlines()
    assert [l for l in lines if "/kernel" in l or "/bias" in l] == [
        "dense_Dense1/kernel [784, 32]", "dense_Dense1/bias [32]",
        "dense_Dense2/kernel [32, 10]", "dense_Dense2/bias [10]"]
    assert sum(l.startswith("Accuracy ") for l in lines) == 20   # 4 batches x 5 epochs
    final = [l for l in lines if l.startswith("Final accuracy ")][0]
    assert len(eval(final[len("Final accuracy "):])) == 5
    assert "Total params: 25450" in out


def test_core_api_example():
    out = run("core_api.py")
    lines = out.splitlines()
    assert [l for l in lines if l.startswith("Epoch")] == [f"Epoch {i}" for i in range(5)]
    losses = [float(l.split()[1]) for l in lines if l.startswith("Loss ")]
    assert len(losses) == 5 * 8  # 256 samples / 32 per batch, 5 epochs
    assert sum(losses[-8:]) < sum(losses[:8])


def test_fit_dataset_example():
    out = run("fit_dataset.py")
    history = eval(out.strip().splitlines()[-1])
    assert len(history) == 5 and all(isinstance(v, float) for v in history)


def test_functional_api_example():
    out = run("functional_api.py")
    keys = [l for l in out.splitlines() if l.startswith("history keys:")][0]
    assert keys == ("history keys: loss, category_loss, price_loss, category_acc, price_mae, "
                    "val_loss, val_category_loss, val_price_loss, val_category_acc, val_price_mae")
    assert "Receives inputs" in out and "Total params: 668" in out
    acc = float([l for l in out.splitlines() if l.startswith("held-out category")][0].split()[-1])
    assert acc >= 0.8


def test_mnist_cnn_example_learns_the_digits():
    out = run("mnist_cnn.py")
    acc = float([l for l in out.splitlines() if l.startswith("test accuracy:")][0].split()[-1])
    assert acc >= 0.95
    assert "Total params: 33194" in out  # tfjs-examples mnist's convnet, as TF.js counts it
