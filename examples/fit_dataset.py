"""The seed's fit_dataset example, in Python: two generators zipped into a dataset of
{'xs', 'ys'} elements, shuffled and batched, then model.fit_dataset for 5 epochs.

Run: python examples/fit_dataset.py
"""
import treino as tn

model = tn.sequential(layers=[
    tn.layers.dense(input_shape=[784], units=32, activation='relu'),
    tn.layers.dense(units=10, activation='softmax'),
])
model.compile(optimizer='sgd', loss='categoricalCrossentropy', metrics=['accuracy'])


def data():
    for i in range(100):
        yield tn.random_normal([784])


def labels():
    for i in range(100):
        yield tn.random_uniform([10])


xs = tn.data.generator(data)
ys = tn.data.generator(labels)
# zip the data and labels together, shuffle and batch 32 samples at a time
ds = tn.data.zip({'xs': xs, 'ys': ys}).shuffle(100).batch(32)

# Train the model for 5 epochs.
history = model.fit_dataset(ds, epochs=5)
print(history.history['loss'])
