"""`python -m treino.demo`: the README's main job.

Trains the seed's model shape (dense relu + dense softmax) on the bundled UCI digits
(1,797 8x8 images), with the progress bar, reports held-out test accuracy and, when
matplotlib is installed, saves a loss/accuracy plot.

    python -m treino.demo [--epochs 40] [--plot treino-demo.png] [--quiet]
"""
import argparse
import time

import numpy as np

import treino as tn


def main(argv=None):
    ap = argparse.ArgumentParser(description="Train a small MLP on the UCI digits.")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--plot", default="treino-demo.png", help="PNG path ('' to skip)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)

    tn.set_seed(0)
    info = tn.cpu_info()
    print(f"treino {tn.__version__} on {info['cpu']} ({info['isa']}, {info['num_threads']} threads)")
    images, labels = tn.datasets.digits()
    x = images / 16.0
    y = np.eye(10, dtype=np.float32)[labels]
    order = np.random.default_rng(0).permutation(len(x))
    test, train = order[:360], order[360:]

    model = tn.sequential(layers=[
        tn.layers.dense(input_shape=[64], units=32, activation="relu"),
        tn.layers.dense(units=10, activation="softmax"),
    ])
    model.summary()
    model.compile(optimizer="adam", loss="categoricalCrossentropy", metrics=["accuracy"])

    t0 = time.perf_counter()
    history = model.fit(x[train], y[train], epochs=args.epochs, batch_size=32,
                        validation_split=0.1, verbose=0 if args.quiet else 1)
    seconds = time.perf_counter() - t0
    loss, acc = (v.item() for v in model.evaluate(x[test], y[test]))
    print(f"trained {args.epochs} epochs on {len(train)} images in {seconds:.1f} s")
    print(f"test loss: {loss:.4f}")
    print(f"test accuracy: {acc:.2f}")
    if args.plot:
        try:
            tn.vis.plot_history(history, args.plot, title="treino: digits, 64-32-10 MLP")
            print(f"saved the training curves to {args.plot}")
        except ImportError:
            print("(pip install matplotlib to get a plot of the training curves)")
    return acc


if __name__ == "__main__":
    main()
