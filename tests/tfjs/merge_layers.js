// Applies TF.js's merge layers to the cases given as JSON on stdin and prints each
// output (shape and flat values) as JSON: the reference for tests/layers/test_merge.py.
// A case: {layer: 'dot', config: {axes: [2, 1]}, inputs: [{shape, values}, ...]}.
const tf = require('@tensorflow/tfjs');

const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const results = cases.map(({layer, config, inputs}) => {
  const xs = inputs.map(({shape, values}) => tf.tensor(values, shape, 'float32'));
  const y = tf.layers[layer](config).apply(xs);
  return {shape: y.shape, values: Array.from(y.dataSync())};
});
process.stdout.write(JSON.stringify(results));
