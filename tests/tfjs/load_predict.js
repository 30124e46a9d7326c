// Loads a TF.js layers model saved on disk (a folder or its model.json) the way TF.js
// does over HTTP: model.json first, then the shards its weightsManifest names, joined
// in order. Prints JSON: predictions for the inputs in inputs.json ({shape, values}),
// and whether TF.js compiled the model from its trainingConfig.
// Usage: node load_predict.js <model dir | model.json> <inputs.json>
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
  const input = JSON.parse(fs.readFileSync(inputsPath, 'utf8'));
  const y = model.predict(tf.tensor(input.values, input.shape, 'float32'));
  process.stdout.write(JSON.stringify({
    predictions: await y.array(),
    compiled: model.optimizer != null,
    optimizer: model.optimizer != null ? model.optimizer.getClassName() : null,
    optimizerConfig: model.optimizer != null ? model.optimizer.getConfig() : null,
    loss: model.loss == null ? null : model.loss,
    weights: model.weights.map((w) => w.originalName),
  }));
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
