// Builds convolutional models in TF.js with every convolution-family layer treino has:
// an image model (conv2d 'same' and 'valid' with strides, maxPooling2d, zeroPadding2d,
// upSampling2d, conv2dTranspose, cropping2D, depthwiseConv2d, separableConv2d,
// averagePooling2d, globalMaxPooling2d) and a
// sequence model (conv1d with strides and a dilated one, maxPooling1d, averagePooling1d,
// globalAveragePooling1d; the dilation is here because TF.js cannot train dilated
// convolutions). Trains the image model a few steps with rmsprop (seeded initialisers,
// inputs from a formula: the run repeats exactly) and saves both with
// tf.io.withSaveHandler as model.json + weights.bin. Writes expected.json per model: the
// input, TF.js's predictions for it, the weights' names.
// Usage: node convnet_train_save.js <out dir>
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function data(shape, seed) {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = [];
  for (let i = 0; i < n; i++) values.push(Math.sin(0.37 * i + seed));
  return tf.tensor(values, shape);
}

function imageModel() {
  const init = (seed) => tf.initializers.glorotUniform({seed});
  const m = tf.sequential({name: 'convnet_tfjs'});
  m.add(tf.layers.conv2d({inputShape: [12, 12, 2], filters: 4, kernelSize: 3, padding: 'same',
                          activation: 'relu', kernelInitializer: init(1), name: 'c1'}));
  m.add(tf.layers.maxPooling2d({poolSize: 2, name: 'p1'}));
  m.add(tf.layers.zeroPadding2d({padding: [[1, 0], [0, 1]], name: 'zp'}));
  m.add(tf.layers.conv2d({filters: 5, kernelSize: [3, 2], strides: [2, 1], name: 'c2',
                          kernelInitializer: init(2), biasInitializer: 'ones'}));
  m.add(tf.layers.upSampling2d({size: [2, 2], name: 'up'}));
  m.add(tf.layers.conv2dTranspose({filters: 3, kernelSize: 3, strides: 2, padding: 'same',
                                   activation: 'tanh', kernelInitializer: init(3),
                                   name: 'ct'}));
  m.add(tf.layers.cropping2D({cropping: [[1, 2], [0, 1]], name: 'crop'}));
  m.add(tf.layers.conv2d({filters: 4, kernelSize: 3, name: 'c3',
                          kernelInitializer: init(4)}));
  m.add(tf.layers.depthwiseConv2d({kernelSize: 2, depthMultiplier: 2, padding: 'same',
                                   activation: 'relu', name: 'dw',
                                   depthwiseInitializer: init(9)}));
  m.add(tf.layers.separableConv2d({filters: 3, kernelSize: 2, name: 'sep',
                                   depthwiseInitializer: init(10),
                                   pointwiseInitializer: init(11)}));
  m.add(tf.layers.averagePooling2d({poolSize: 2, strides: 1, padding: 'same', name: 'p2'}));
  m.add(tf.layers.globalMaxPooling2d({name: 'gmp'}));
  m.add(tf.layers.dense({units: 3, activation: 'softmax', kernelInitializer: init(5),
                         name: 'out'}));
  return m;
}

function sequenceModel() {
  const init = (seed) => tf.initializers.glorotUniform({seed});
  const m = tf.sequential({name: 'seq_tfjs'});
  m.add(tf.layers.conv1d({inputShape: [20, 3], filters: 6, kernelSize: 4, strides: 2,
                          activation: 'relu', kernelInitializer: init(6), name: 'k1'}));
  m.add(tf.layers.maxPooling1d({poolSize: 2, name: 'mp'}));
  m.add(tf.layers.conv1d({filters: 4, kernelSize: 2, padding: 'same', dilationRate: 2,
                          kernelInitializer: init(7), name: 'k2'}));
  m.add(tf.layers.averagePooling1d({poolSize: 2, strides: 1, name: 'ap'}));
  m.add(tf.layers.globalAveragePooling1d({name: 'gap'}));
  m.add(tf.layers.dense({units: 2, kernelInitializer: init(8), name: 'seq_out'}));
  return m;
}

async function save(model, dir, x) {
  fs.mkdirSync(dir, {recursive: true});
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const json = {
      modelTopology: artifacts.modelTopology, format: artifacts.format,
      generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy,
      weightsManifest: [{paths: ['weights.bin'], weights: artifacts.weightSpecs}],
    };
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData));
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }));
  const expected = {
    input: {shape: x.shape, values: Array.from(await x.data())},
    predictions: await model.predict(x).array(),
    weights: model.weights.map((w) => w.originalName),
  };
  fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(expected));
}

async function main() {
  const [outDir] = process.argv.slice(2);
  const image = imageModel();
  image.compile({optimizer: tf.train.rmsprop(0.01), loss: 'categoricalCrossentropy'});
  const x = data([8, 12, 12, 2], 0);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);
  await image.fit(x, y, {epochs: 2, batchSize: 4, shuffle: false, verbose: 0});
  await save(image, path.join(outDir, 'image'), x.slice([0], [3]));
  await save(sequenceModel(), path.join(outDir, 'sequence'), data([3, 20, 3], 1));
  process.stdout.write(JSON.stringify({saved: outDir}));
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
