"""tfjs-examples mnist's convnet on the bundled digits: the same model (conv2d 16 3x3
relu, max_pooling2d 2, conv2d 32 3x3 relu, max_pooling2d 2, conv2d 32 3x3 relu, flatten,
dense 64 relu, dense 10 softmax), rmsprop, categorical cross-entropy, with the UCI 8x8
digits scaled up 3x and padded to 28x28 (as MNIST centres its 20x20 digits). The example
trains MNIST's 60,000 images with batches of 320; the 1,437 digits here get batches of 64
(more steps per epoch).

Run: python examples/mnist_cnn.py [--epochs 25] [--batch-size 64]
"""
import argparse
import time

import numpy as np

import treino as tn


def images_28x28(flat):
    """8x8 images (pixel counts 0..16) -> [n, 28, 28, 1] in [0, 1]: each pixel 3x3, a
    2-pixel border."""
    img = (flat / 16.0).reshape(-1, 8, 8)
    big = img.repeat(3, axis=1).repeat(3, axis=2)
    return np.pad(big, [(0, 0), (2, 2), (2, 2)])[..., None].astype(np.float32)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args(argv)
    tn.set_seed(0)
    flat, labels = tn.datasets.digits()
    x = images_28x28(flat)
    y = np.eye(10, dtype=np.float32)[labels]
    order = np.random.default_rng(0).permutation(len(x))
    test, train = order[:360], order[360:]

    model = tn.sequential([
        tn.layers.conv2d(input_shape=[28, 28, 1], kernel_size=3, filters=16,
                         activation='relu'),
        tn.layers.max_pooling2d(pool_size=2, strides=2),
        tn.layers.conv2d(kernel_size=3, filters=32, activation='relu'),
        tn.layers.max_pooling2d(pool_size=2, strides=2),
        tn.layers.conv2d(kernel_size=3, filters=32, activation='relu'),
        tn.layers.flatten(),
        tn.layers.dense(units=64, activation='relu'),
        tn.layers.dense(units=10, activation='softmax'),
    ])
    model.summary()
    model.compile(optimizer='rmsprop', loss='categoricalCrossentropy', metrics=['accuracy'])
    t0 = time.perf_counter()
    history = model.fit(x[train], y[train], batch_size=args.batch_size, epochs=args.epochs,
                        validation_split=0.1, verbose=0)
    seconds = time.perf_counter() - t0
    print(f"trained {args.epochs} epochs in {seconds:.1f} s; last val_acc "
          f"{history.history['val_acc'][-1]:.3f}")
    loss, acc = (v.item() for v in model.evaluate(x[test], y[test]))
    print(f"test loss: {loss:.4f}")
    print(f"test accuracy: {acc:.3f}")
    return acc


if __name__ == "__main__":
    main()
