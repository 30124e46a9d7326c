"""Sequence workloads for bench/bench_train.py: the same model in treino, PyTorch and
Keras, one epoch per call (see workloads.py for the convention).

W6: sentiment-style classifier: embedding(10000, 128) -> lstm(64) -> dense(1, sigmoid),
    adam 0.001, binary cross-entropy, batch 128, 6,400 synthetic sequences of 100 ids
    (about 30 MFLOP per sequence, forward and backward). treino and Keras take their
    defaults (TF.js's LSTM: hardSigmoid gates; Keras's: sigmoid), PyTorch's nn.LSTM uses
    sigmoid.
W7: tfjs-examples addition-rnn: lstm(128) encoder over 5 one-hot characters (12 symbols),
    repeat_vector(3), lstm(128) decoder with return_sequences, time_distributed dense(12),
    softmax; adam, categorical cross-entropy + accuracy, batch 128, 4,500 examples (the
    example's 2-digit sums, 90% of its 5,000).
"""
import numpy as np

W6_N, W6_T, W6_V, W6_BATCH = 6400, 100, 10000, 128
W7_N, W7_BATCH, W7_HIDDEN = 4500, 128, 128
CHARS = "0123456789+ "


def w6_data(seed=0):
    """Ids in [1, V); the label says whether low ids outnumber high ones (learnable)."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, W6_V, (W6_N, W6_T))
    y = ((ids < W6_V // 2).sum(1) > W6_T // 2).astype(np.float32)[:, None]
    return ids, y


def w6_treino(tn):
    L = tn.layers
    model = tn.sequential([L.embedding(input_dim=W6_V, output_dim=128, input_length=W6_T),
                           L.lstm(units=64), L.dense(units=1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binaryCrossentropy", metrics=["accuracy"])
    ids, y = w6_data()
    x = ids.astype(np.float32)
    return lambda: model.fit(x, y, batch_size=W6_BATCH, epochs=1, verbose=0)


def w6_torch(torch):
    nn = torch.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(W6_V, 128)
            self.lstm = nn.LSTM(128, 64, batch_first=True)
            self.out = nn.Linear(64, 1)

        def forward(self, x):
            _, (h, _) = self.lstm(self.emb(x))
            return self.out(h[0])
    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    ids, y = w6_data()
    tx, ty = torch.from_numpy(ids), torch.from_numpy(y)

    def epoch():
        perm = torch.randperm(W6_N)
        for i in range(0, W6_N, W6_BATCH):
            idx = perm[i:i + W6_BATCH]
            opt.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(model(tx[idx]), ty[idx])
            loss.backward()
            opt.step()
    return epoch


def w6_keras(keras):
    L = keras.layers
    model = keras.Sequential([keras.Input((W6_T,)), L.Embedding(W6_V, 128), L.LSTM(64),
                              L.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    ids, y = w6_data()
    return lambda: model.fit(ids, y, batch_size=W6_BATCH, epochs=1, verbose=0)


def w7_data(seed=0):
    """2-digit sums as one-hot strings: 'a+b' padded to 5 characters -> the sum padded to 3."""
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 100, W7_N), rng.integers(0, 100, W7_N)
    eye = np.eye(len(CHARS), dtype=np.float32)

    def encode(strings, width):
        return eye[[[CHARS.index(c) for c in s.ljust(width)] for s in strings]]
    return (encode([f"{p}+{q}" for p, q in zip(a, b)], 5),
            encode([str(p + q) for p, q in zip(a, b)], 3))


def w7_treino(tn):
    L = tn.layers
    model = tn.sequential([
        L.lstm(units=W7_HIDDEN, recurrent_initializer="glorotNormal",
               input_shape=[5, len(CHARS)]),
        L.repeat_vector(n=3),
        L.lstm(units=W7_HIDDEN, recurrent_initializer="glorotNormal", return_sequences=True),
        L.time_distributed(layer=L.dense(units=len(CHARS))),
        L.activation(activation="softmax")])
    model.compile(optimizer="adam", loss="categoricalCrossentropy", metrics=["accuracy"])
    x, y = w7_data()
    return lambda: model.fit(x, y, batch_size=W7_BATCH, epochs=1, verbose=0)


def w7_torch(torch):
    nn = torch.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.LSTM(len(CHARS), W7_HIDDEN, batch_first=True)
            self.dec = nn.LSTM(W7_HIDDEN, W7_HIDDEN, batch_first=True)
            self.out = nn.Linear(W7_HIDDEN, len(CHARS))

        def forward(self, x):
            _, (h, _) = self.enc(x)
            seq, _ = self.dec(h[0][:, None, :].expand(-1, 3, -1))
            return self.out(seq)
    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    x, y = w7_data()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y.argmax(-1))

    def epoch():
        perm = torch.randperm(W7_N)
        for i in range(0, W7_N, W7_BATCH):
            idx = perm[i:i + W7_BATCH]
            opt.zero_grad()
            logits = model(tx[idx])
            loss = nn.functional.cross_entropy(logits.reshape(-1, len(CHARS)),
                                               ty[idx].reshape(-1))
            loss.backward()
            opt.step()
    return epoch


def w7_keras(keras):
    L = keras.layers
    model = keras.Sequential([
        keras.Input((5, len(CHARS))), L.LSTM(W7_HIDDEN, recurrent_initializer="glorot_normal"),
        L.RepeatVector(3),
        L.LSTM(W7_HIDDEN, recurrent_initializer="glorot_normal", return_sequences=True),
        L.TimeDistributed(L.Dense(len(CHARS))), L.Activation("softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x, y = w7_data()
    return lambda: model.fit(x, y, batch_size=W7_BATCH, epochs=1, verbose=0)


SEQUENCE_WORKLOADS = {"W6": {"treino": w6_treino, "torch": w6_torch, "keras": w6_keras},
                      "W7": {"treino": w7_treino, "torch": w7_torch, "keras": w7_keras}}
