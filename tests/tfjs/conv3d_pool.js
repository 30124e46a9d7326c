// The TF.js 4.22 reference for tests/core/test_conv3d_pool.py and
// tests/layers/test_conv3d_layers.py. Reads JSON on stdin, one of:
// - a list of op cases {op: 'conv3d', inputs: [{shape, values}], args: [...],
//   dy: {shape, values} (optional)}: runs tf[op](...inputs, ...args) and prints
//   [{shape, dtype, values}] (flat values; {result, indexes} of such for
//   maxPoolWithArgmax), with `grads` (one per input, of sum(op(...) * dy)) when dy is
//   given, or {error} where TF.js raised;
// - {save: dir, layers: [[factory, config], ...], input: {shape, values}}: builds a
//   Sequential of those layers (the first config carries the input shape), saves it in
//   dir as model.json + weights.bin and prints its predictions for the input.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const asTensor = ({shape, values, dtype}) => tf.tensor(values, shape, dtype || 'float32');
const spec = (t) => ({shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync())});

function run({op, inputs, args, dy}) {
  try {
    const xs = inputs.map(asTensor);
    const f = (...ts) => tf[op](...ts, ...(args || []));
    const y = f(...xs);
    if (op === 'maxPoolWithArgmax') {
      return {result: spec(y.result), indexes: spec(y.indexes)};
    }
    const out = spec(y);
    if (dy) {
      const w = asTensor(dy);
      out.grads = tf.grads((...ts) => tf.sum(tf.mul(f(...ts), w)))(xs).map(spec);
    }
    return out;
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
  return spec(model.predict(asTensor(input)));
}

async function main() {
  const request = JSON.parse(fs.readFileSync(0, 'utf8'));
  const result = Array.isArray(request) ? request.map(run) : await save(request);
  process.stdout.write(JSON.stringify(result));
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
