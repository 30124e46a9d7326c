// Builds a small model in TF.js, trains it a few epochs (seeded initialisers and
// dropout, no shuffling, inputs from a formula: the run repeats exactly), saves it with
// tf.io.withSaveHandler as model.json + weights.bin (the files tfjs-node writes), and
// writes expected.json: the inputs and TF.js's predictions for them.
// Usage: node train_save.js <out dir> <mlp|reshape>
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function data(n, shape, classes) {
  const size = shape.reduce((a, b) => a * b, 1);
  const xs = [];
  const ys = [];
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < size; j++) {
      const v = Math.sin(0.37 * i + 1.3 * j) + 0.1 * Math.cos(2.1 * i * j);
      xs.push(v);
      s += v * (j % 3 - 1);
    }
    const c = ((Math.floor(Math.abs(s) * 3)) + i) % classes;
    for (let k = 0; k < classes; k++) ys.push(k === c ? 1 : 0);
  }
  return [tf.tensor(xs, [n].concat(shape)), tf.tensor(ys, [n, classes])];
}

const recipes = {
  mlp() {
    const model = tf.sequential({layers: [
      tf.layers.dense({units: 8, inputShape: [6], activation: 'relu',
                       kernelInitializer: tf.initializers.glorotUniform({seed: 1})}),
      tf.layers.batchNormalization({momentum: 0.8}),
      tf.layers.dropout({rate: 0.25, seed: 7}),
      tf.layers.dense({units: 3, activation: 'softmax',
                       kernelInitializer: tf.initializers.glorotUniform({seed: 2})}),
    ]});
    model.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy',
                   metrics: ['accuracy']});
    return {model, shape: [6], classes: 3, includeOptimizer: true};
  },
  reshape() {
    const model = tf.sequential({layers: [
      tf.layers.flatten({inputShape: [3, 4]}),
      tf.layers.dense({units: 8, kernelInitializer: tf.initializers.heNormal({seed: 3}),
                       kernelRegularizer: tf.regularizers.l2({l2: 0.001}),
                       kernelConstraint: tf.constraints.maxNorm({maxValue: 2})}),
      tf.layers.activation({activation: 'tanh'}),
      tf.layers.reshape({targetShape: [2, 4]}),
      tf.layers.batchNormalization({momentum: 0.5}),
      tf.layers.flatten(),
      tf.layers.dense({units: 2, activation: 'sigmoid',
                       kernelInitializer: tf.initializers.glorotNormal({seed: 4})}),
    ]});
    model.compile({optimizer: tf.train.sgd(0.1), loss: 'binaryCrossentropy'});
    return {model, shape: [3, 4], classes: 2, includeOptimizer: false};
  },
};

async function main() {
  const [outDir, recipe] = process.argv.slice(2);
  const {model, shape, classes, includeOptimizer} = recipes[recipe]();
  const [x, y] = data(48, shape, classes);
  await model.fit(x, y, {epochs: 3, batchSize: 8, shuffle: false, verbose: 0});
  fs.mkdirSync(outDir, {recursive: true});
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const json = {
      modelTopology: artifacts.modelTopology, format: artifacts.format,
      generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy,
      weightsManifest: [{paths: ['weights.bin'], weights: artifacts.weightSpecs}],
    };
    if (artifacts.trainingConfig != null) json.trainingConfig = artifacts.trainingConfig;
    fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(outDir, 'weights.bin'), Buffer.from(artifacts.weightData));
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }), {includeOptimizer});
  const xt = x.slice([0], [10]);
  const expected = {
    inputs: {shape: xt.shape, values: Array.from(await xt.data())},
    predictions: await model.predict(xt).array(),
  };
  fs.writeFileSync(path.join(outDir, 'expected.json'), JSON.stringify(expected));
  process.stdout.write(JSON.stringify({saved: outDir, weights: model.weights.length}));
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
