// The TF.js 4.22 reference for tests/layers/test_activation_noise_layers.py. Reads JSON
// on stdin, one of:
// - a list of cases {layer: 'centerCrop', config: {height: 2, width: 3},
//   input: {shape, values, dtype}, weights: [{shape, values}] (optional),
//   kwargs: {countWeights: {shape, values}} (optional)}: applies each layer to its input
//   and prints [{shape, dtype, values}] (flat values), or {error} where TF.js raised;
// - {save: dir, layers: [[factory, config], ...], input: {shape, values, dtype}}: builds
//   a Sequential of those layers (the first config carries the input shape), saves it in
//   dir as model.json + weights.bin (the files tfjs-node writes) and prints its
//   predictions for the input (inference: the noise layers pass it through).
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const asTensor = ({shape, values, dtype}) => tf.tensor(values, shape, dtype || 'float32');

function apply({layer, config, weights, input, kwargs}) {
  try {
    const l = tf.layers[layer](config);
    const x = asTensor(input);
    const kw = {};
    for (const [k, v] of Object.entries(kwargs || {})) kw[k] = asTensor(v);
    if (weights) {
      l.build(x.shape);
      l.setWeights(weights.map(asTensor));
    }
    const y = l.apply(x, kw);
    return {shape: y.shape, dtype: y.dtype, values: Array.from(y.dataSync())};
  } catch (e) {
    return {error: String(e.message || e)};
  }
}

async function save({save: dir, layers, input}) {
  const model = tf.sequential({layers: layers.map(([name, config]) => tf.layers[name](config))});
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
  const y = model.predict(asTensor(input));
  return {shape: y.shape, values: Array.from(await y.data())};
}

async function main() {
  const request = JSON.parse(fs.readFileSync(0, 'utf8'));
  const result = Array.isArray(request) ? request.map(apply) : await save(request);
  process.stdout.write(JSON.stringify(result));
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
