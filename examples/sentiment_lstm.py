"""An LSTM sentiment classifier, tfjs-examples sentiment's recipe: word ids padded at the
front to a fixed length, embedding -> LSTM -> dense sigmoid, adam, binary cross-entropy
(here with a larger learning rate, 0.003, for a short run).

The reviews are synthetic: of the 10,000 word ids the model knows, 50 are "positive"
and 50 "negative" words and 1,900 neutral ones; a review is 10 to 40 words, mostly neutral, padded to 100, and its
label is whether it holds more positive than negative words. The model has to learn which ids carry
sentiment and count them through the sequence, so it is clearly above chance only when
the embedding, the recurrence and their gradients all work. Padding id 0 is masked
(mask_zero=True): the LSTM skips the padded steps.

Run: python examples/sentiment_lstm.py [--epochs 6] [--reviews 3000]
"""
import argparse
import time

import numpy as np

import treino as tn

VOCAB, LENGTH = 10000, 100
POSITIVE = np.arange(1, 51)      # word ids that make a review positive
NEGATIVE = np.arange(51, 101)    # ... and negative
NEUTRAL_END = 2000                # the other words of the reviews: ids 101 .. 1999


def reviews(n, rng):
    """(ids [n, LENGTH] padded with 0 at the front, labels [n, 1])."""
    x = np.zeros((n, LENGTH), np.float32)
    y = np.zeros((n, 1), np.float32)
    for i in range(n):
        length = int(rng.integers(10, 41))
        words = rng.integers(101, NEUTRAL_END, length)
        pos, neg = rng.integers(0, 5, 2)
        if pos == neg:
            pos += 1
        slots = rng.choice(length, pos + neg, replace=False)
        words[slots[:pos]] = rng.choice(POSITIVE, pos)
        words[slots[pos:]] = rng.choice(NEGATIVE, neg)
        x[i, LENGTH - length:] = words
        y[i] = pos > neg
    return x, y


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--reviews", type=int, default=3000)
    args = ap.parse_args(argv)
    tn.set_seed(0)
    rng = np.random.default_rng(0)
    x, y = reviews(args.reviews, rng)
    x_test, y_test = reviews(1000, rng)

    model = tn.sequential([
        tn.layers.embedding(input_dim=VOCAB, output_dim=128, input_length=LENGTH,
                            mask_zero=True),
        tn.layers.lstm(units=64),
        tn.layers.dense(units=1, activation="sigmoid"),
    ])
    model.summary()
    model.compile(optimizer=tn.train.adam(0.003), loss="binaryCrossentropy",
                  metrics=["accuracy"])
    t0 = time.perf_counter()
    history = model.fit(x, y, batch_size=128, epochs=args.epochs, validation_split=0.1,
                        verbose=0)
    print(f"trained {args.epochs} epochs in {time.perf_counter() - t0:.1f} s; val_acc per "
          f"epoch {[round(a, 3) for a in history.history['val_acc']]}")
    loss, acc = (v.item() for v in model.evaluate(x_test, y_test))
    print(f"test loss: {loss:.4f}")
    print(f"test accuracy: {acc:.3f} (chance: {max(y_test.mean(), 1 - y_test.mean()):.3f})")
    return acc


if __name__ == "__main__":
    main()
