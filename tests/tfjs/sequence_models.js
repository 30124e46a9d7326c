// The reference for treino's sequence layers: builds TF.js models from layer specs.
//
//   node sequence_models.js predict < cases.json
//     A case: {layers: [spec, ...], weights: [{shape, values}, ...] (model.weights order),
//     input: {shape, values}}; a spec: {type: 'lstm', config: {...}} with, for wrappers,
//     layer: spec, and for tf.layers.rnn, cells: [spec, ...]. Prints, per case, the
//     prediction {shape, values} and the weights' names and shapes.
//   node sequence_models.js save <out dir> <sentiment|encdec>
//     Builds a seeded model, trains it 2 epochs, saves model.json + weights.bin and
//     expected.json (inputs and TF.js's predictions), as train_save.js does.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function make(spec) {
  const config = Object.assign({}, spec.config);
  if (spec.layer) config.layer = make(spec.layer);
  if (spec.cells) config.cell = spec.cells.map(make);
  return tf.layers[spec.type](config);
}

function predictCases() {
  const cases = JSON.parse(fs.readFileSync(0, 'utf8'));
  return cases.map(({layers, weights, input}) => {
    const model = tf.sequential({layers: layers.map(make)});
    model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
    const y = model.predict(tf.tensor(input.values, input.shape));
    return {shape: y.shape, values: Array.from(y.dataSync()),
            weights: model.weights.map((w) => [w.originalName, w.shape])};
  });
}

function seeded(n) {
  return {kernelInitializer: tf.initializers.glorotUniform({seed: n}),
          recurrentInitializer: tf.initializers.orthogonal({seed: n + 1})};
}

const recipes = {
  // sentiment's shape: embedding (maskZero) -> bidirectional LSTM -> LSTM -> dense.
  sentiment() {
    const model = tf.sequential({layers: [
      tf.layers.embedding({inputDim: 20, outputDim: 6, inputLength: 7, maskZero: true,
                           embeddingsInitializer: tf.initializers.randomUniform({seed: 1})}),
      tf.layers.bidirectional({layer: tf.layers.lstm(Object.assign(
          {units: 5, returnSequences: true}, seeded(2))), mergeMode: 'concat'}),
      tf.layers.gru(Object.assign({units: 4}, seeded(4))),
      tf.layers.dense({units: 1, activation: 'sigmoid',
                       kernelInitializer: tf.initializers.glorotUniform({seed: 6})}),
    ]});
    model.compile({optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy'});
    const ids = [];
    const ys = [];
    for (let i = 0; i < 32; i++) {
      const pad = i % 4;
      for (let t = 0; t < 7; t++) ids.push(t < pad ? 0 : 1 + ((i * 7 + t * 3) % 19));
      ys.push(i % 3 === 0 ? 1 : 0);
    }
    return {model, x: tf.tensor(ids, [32, 7]), y: tf.tensor(ys, [32, 1])};
  },
  // translation's shape: an LSTM encoder's states start an LSTM decoder.
  encdec() {
    const encIn = tf.input({shape: [5, 3]});
    const decIn = tf.input({shape: [4, 2]});
    const [, h, c] = tf.layers.lstm(Object.assign({units: 6, returnState: true}, seeded(1)))
                         .apply(encIn);
    const seq = tf.layers.lstm(Object.assign({units: 6, returnSequences: true}, seeded(3)))
                    .apply(decIn, {initialState: [h, c]});
    const out = tf.layers.timeDistributed({layer: tf.layers.dense(
        {units: 3, activation: 'softmax',
         kernelInitializer: tf.initializers.glorotUniform({seed: 5})})}).apply(seq);
    const model = tf.model({inputs: [encIn, decIn], outputs: out});
    model.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy'});
    const a = [];
    const b = [];
    const ys = [];
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 15; j++) a.push(Math.sin(0.3 * i + 0.7 * j));
      for (let j = 0; j < 8; j++) b.push(Math.cos(0.5 * i + 1.1 * j));
      for (let t = 0; t < 4; t++) for (let k = 0; k < 3; k++) ys.push((i + t) % 3 === k ? 1 : 0);
    }
    return {model, x: [tf.tensor(a, [16, 5, 3]), tf.tensor(b, [16, 4, 2])],
            y: tf.tensor(ys, [16, 4, 3])};
  },
};

async function save(outDir, recipe) {
  const {model, x, y} = recipes[recipe]();
  await model.fit(x, y, {epochs: 2, batchSize: 8, shuffle: false, verbose: 0});
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
  const xs = Array.isArray(x) ? x : [x];
  const expected = {
    inputs: await Promise.all(xs.map(async (t) => ({shape: t.shape,
                                                     values: Array.from(await t.data())}))),
    predictions: await model.predict(x).array(),
  };
  fs.writeFileSync(path.join(outDir, 'expected.json'), JSON.stringify(expected));
  return {saved: outDir, weights: model.weights.map((w) => w.originalName)};
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  const result = mode === 'predict' ? predictCases() : await save(...args);
  process.stdout.write(JSON.stringify(result));
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
