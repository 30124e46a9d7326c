// Builds a functional model in TF.js: two inputs, one dense layer shared by both,
// their outputs concatenated, then a nested Sequential (dense + batch norm) and a
// nested functional model (dense); trains it a few epochs (seeded initialisers, no
// shuffling, inputs from a formula: the run repeats exactly) and saves it with
// tf.io.withSaveHandler as model.json + weights.bin, optimizer included. Writes
// expected.json: the inputs (a list of {shape, values}), TF.js's predictions for them,
// and the weights' names in model.weights order.
// Usage: node functional_train_save.js <out dir>
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function data(n, width, seed) {
  const values = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < width; j++) values.push(Math.sin(0.37 * i + 1.3 * j + seed));
  }
  return tf.tensor(values, [n, width]);
}

function build() {
  const init = (seed) => tf.initializers.glorotUniform({seed});
  const left = tf.input({shape: [4], name: 'left'});
  const right = tf.input({shape: [3], name: 'right'});
  const toWidth = tf.layers.dense({units: 4, name: 'right_proj', kernelInitializer: init(1)});
  const shared = tf.layers.dense({units: 5, activation: 'tanh', name: 'shared',
                                  kernelInitializer: init(2)});
  const merged = tf.layers.concatenate({name: 'merge'}).apply(
      [shared.apply(left), shared.apply(toWidth.apply(right))]);
  const inner = tf.sequential({name: 'inner_seq', layers: [
    tf.layers.dense({units: 6, inputShape: [10], activation: 'relu', name: 'inner_dense',
                     kernelInitializer: init(3)}),
    tf.layers.batchNormalization({momentum: 0.5, name: 'inner_bn'}),
  ]});
  const subIn = tf.input({shape: [6], name: 'sub_in'});
  const sub = tf.model({inputs: subIn, name: 'sub', outputs: tf.layers.dense(
      {units: 2, name: 'sub_dense', kernelInitializer: init(4)}).apply(subIn)});
  return tf.model({inputs: [left, right], outputs: sub.apply(inner.apply(merged)),
                   name: 'towers_tfjs'});
}

async function main() {
  const [outDir] = process.argv.slice(2);
  const model = build();
  model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
  const xs = [data(32, 4, 0), data(32, 3, 1)];
  const y = data(32, 2, 2);
  await model.fit(xs, y, {epochs: 3, batchSize: 8, shuffle: false, verbose: 0});
  fs.mkdirSync(outDir, {recursive: true});
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const json = {
      modelTopology: artifacts.modelTopology, format: artifacts.format,
      generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy,
      weightsManifest: [{paths: ['weights.bin'], weights: artifacts.weightSpecs}],
      trainingConfig: artifacts.trainingConfig,
    };
    fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(outDir, 'weights.bin'), Buffer.from(artifacts.weightData));
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }), {includeOptimizer: true});
  const tests = xs.map((x) => x.slice([0], [10]));
  const expected = {
    inputs: await Promise.all(tests.map(async (t) => ({shape: t.shape,
                                                        values: Array.from(await t.data())}))),
    predictions: await model.predict(tests).array(),
    weights: model.weights.map((w) => w.originalName),
  };
  fs.writeFileSync(path.join(outDir, 'expected.json'), JSON.stringify(expected));
  process.stdout.write(JSON.stringify({saved: outDir, weights: model.weights.length}));
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
