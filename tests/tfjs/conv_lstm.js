// A ConvLSTM2D model trained and saved by TF.js, for treino's loader.
//
//   node conv_lstm.js <out dir>
//     Builds a seeded model (two ConvLSTM2D layers: 'same' padding and return_sequences,
//     then strides 2, go_backwards and unitForgetBias; flatten; dense softmax), trains it
//     2 epochs, saves model.json + weights.bin and expected.json (the input and TF.js's
//     predictions). Prints the weights' names.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function seeded(n) {
  return {kernelInitializer: tf.initializers.glorotUniform({seed: n}),
          recurrentInitializer: tf.initializers.orthogonal({seed: n + 1})};
}

async function main() {
  const outDir = process.argv[2];
  const model = tf.sequential({layers: [
    tf.layers.convLstm2d(Object.assign({filters: 3, kernelSize: 3, padding: 'same',
                                        returnSequences: true, inputShape: [3, 6, 6, 2]},
                                       seeded(1))),
    tf.layers.convLstm2d(Object.assign({filters: 2, kernelSize: [2, 3], strides: 2,
                                        goBackwards: true, unitForgetBias: true,
                                        recurrentActivation: 'sigmoid'}, seeded(3))),
    tf.layers.flatten(),
    tf.layers.dense({units: 2, activation: 'softmax',
                     kernelInitializer: tf.initializers.glorotUniform({seed: 5})}),
  ]});
  model.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy'});
  const n = 8;
  const xs = [];
  const ys = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3 * 6 * 6 * 2; j++) xs.push(Math.sin(0.37 * i + 0.11 * j * (1 + i % 3)));
    ys.push(i % 2, 1 - i % 2);
  }
  const x = tf.tensor(xs, [n, 3, 6, 6, 2]);
  await model.fit(x, tf.tensor(ys, [n, 2]), {epochs: 2, batchSize: 4, shuffle: false,
                                             verbose: 0});
  fs.mkdirSync(outDir, {recursive: true});
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const json = {
      modelTopology: artifacts.modelTopology, format: artifacts.format,
      generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy,
      weightsManifest: [{paths: ['weights.bin'], weights: artifacts.weightSpecs}],
    };
    fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(outDir, 'weights.bin'), Buffer.from(artifacts.weightData));
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }));
  const expected = {input: {shape: x.shape, values: Array.from(await x.data())},
                    predictions: await model.predict(x).array()};
  fs.writeFileSync(path.join(outDir, 'expected.json'), JSON.stringify(expected));
  process.stdout.write(JSON.stringify({weights: model.weights.map((w) => w.originalName)}));
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
