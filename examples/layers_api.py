"""The seed's Layers-API example, in Python: define, inspect, assign, compile, fit with a
batch-end hook, read the history and predict.

Run: python examples/layers_api.py
"""
import treino as tn

model = tn.sequential(layers=[
    tn.layers.dense(input_shape=[784], units=32, activation='relu'),
    tn.layers.dense(units=10, activation='softmax'),
])

# The weights, by name and shape.
for w in model.weights:
    print(w.name, list(w.shape))

model.summary()

# Replace every weight with random normal values.
for w in model.weights:
    w.val.assign(tn.random_normal(w.shape))

model.compile(optimizer='sgd', loss='categoricalCrossentropy', metrics=['accuracy'])

data = tn.random_normal([100, 784])
labels = tn.random_uniform([100, 10])


def on_batch_end(batch, logs):
    print('Accuracy', logs['acc'])


# Train for 5 epochs with batch size of 32.
info = model.fit(data, labels, epochs=5, batch_size=32,
                 callbacks={'on_batch_end': on_batch_end})
print('Final accuracy', info.history['acc'])

prediction = model.predict(tn.random_normal([3, 784]))
prediction.print()
