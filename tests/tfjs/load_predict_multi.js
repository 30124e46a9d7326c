// Loads a TF.js layers model saved on disk (a folder or its model.json), as
// load_predict.js does, and predicts for several inputs. inputs.json holds a list of
// {shape, values}, one per model input. Prints JSON: the predictions (a list with one
// entry per output), the weights' names in model.weights order, and each layer's name,
// class and number of inbound nodes.
// Usage: node load_predict_multi.js <model dir | model.json> <inputs.json>
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

async function main() {
  const [target, inputsPath] = process.argv.slice(2);
  const jsonPath = fs.statSync(target).isDirectory() ? path.join(target, 'model.json') : target;
  const dir = path.dirname(jsonPath);
  const modelJSON = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
    const specs = [];
    const buffers = [];
    for (const group of manifest) {
      specs.push(...group.weights);
      for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
    }
    const all = Buffer.concat(buffers);
    return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
  });
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const inputs = JSON.parse(fs.readFileSync(inputsPath, 'utf8'))
      .map((x) => tf.tensor(x.values, x.shape, 'float32'));
  let ys = model.predict(inputs.length === 1 ? inputs[0] : inputs);
  if (!Array.isArray(ys)) ys = [ys];
  process.stdout.write(JSON.stringify({
    predictions: await Promise.all(ys.map((y) => y.array())),
    weights: model.weights.map((w) => w.originalName),
    layers: model.layers.map((l) => [l.name, l.getClassName(), l.inboundNodes.length]),
  }));
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
