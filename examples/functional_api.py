"""The functional API: a model with two inputs and two outputs, trained on dicts keyed
by input and output name (TF.js's tf.input / layer.apply / tf.model, made Pythonic).

A toy shop: from a product's 8 numeric features and a 6-value text embedding, predict its
category (3 classes) and its price. The two inputs meet in a shared trunk; the category
head uses softmax cross-entropy, the price head mean squared error, weighted half.

Run: python examples/functional_api.py
"""
import numpy as np

import treino as tn

tn.set_seed(0)
rng = np.random.default_rng(0)
n = 600
features = rng.normal(size=(n, 8)).astype(np.float32)
text = rng.normal(size=(n, 6)).astype(np.float32)
category = (features[:, 0] + text[:, 0] > 0).astype(np.int64) + (features[:, 1] > 1)
price = (2 * features[:, 2] - text[:, 1] + 0.1 * rng.normal(size=n)).astype(np.float32)

numeric = tn.input(shape=[8], name='numeric')
words = tn.input(shape=[6], name='words')
joined = tn.layers.concatenate().apply([
    tn.layers.dense(units=16, activation='relu').apply(numeric),
    tn.layers.dense(units=8, activation='relu').apply(words),
])
trunk = tn.layers.dense(units=16, activation='relu', name='trunk').apply(joined)
category_out = tn.layers.dense(units=3, activation='softmax', name='category').apply(trunk)
price_out = tn.layers.dense(units=1, name='price').apply(trunk)
model = tn.model(inputs=[numeric, words], outputs=[category_out, price_out], name='shop')
model.summary()

model.compile(optimizer=tn.train.adam(0.01),
              loss={'category': 'sparseCategoricalCrossentropy', 'price': 'meanSquaredError'},
              loss_weights={'category': 1.0, 'price': 0.5},
              metrics={'category': ['accuracy'], 'price': ['mae']})
history = model.fit({'numeric': features[:500], 'words': text[:500]},
                    {'category': category[:500], 'price': price[:500]},
                    epochs=30, batch_size=32, verbose=0,
                    validation_data=({'numeric': features[500:], 'words': text[500:]},
                                     {'category': category[500:], 'price': price[500:]}))
print('history keys:', ', '.join(history.history))
last = {k: round(v[-1], 3) for k, v in history.history.items()}
print('last epoch:', last)
cat_p, price_p = model.predict({'numeric': features[500:], 'words': text[500:]})
acc = float(np.mean(cat_p.numpy().argmax(-1) == category[500:]))
print(f'held-out category accuracy: {acc:.2f}')
print(f"held-out price MAE: {np.mean(np.abs(price_p.numpy()[:, 0] - price[500:])):.2f}")
