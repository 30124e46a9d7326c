// Runs TF.js's tf.image ops on the cases given as JSON on stdin and prints each result
// (shape, dtype and flat values; a dict of them for ops returning named tensors) as JSON,
// or the error TF.js raised: the reference for tests/core/test_image_ops.py.
// A case: {op: 'resizeBilinear', args: [{tensor: {shape, values, dtype}}, [4, 4], true]},
// with `gradWeights: {shape, values}` for the gradient of sum(op(args) * weights) with
// respect to the first argument instead of the op's value; or a layer applied to a tensor:
// {layer: 'resizing', config: {height: 2, width: 3}, input: {shape, values, dtype}}.
const tf = require('@tensorflow/tfjs');

const asTensor = ({shape, values, dtype}) => tf.tensor(values, shape, dtype || 'float32');
const arg = (a) => (a !== null && typeof a === 'object' && 'tensor' in a) ? asTensor(a.tensor) : a;
const out = (t) => ({shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync())});

async function run({op, args, gradWeights, layer, config, input}) {
  try {
    if (layer) return out(tf.layers[layer](config).apply(asTensor(input)));
    const xs = args.map(arg);
    if (gradWeights) {
      const w = asTensor(gradWeights);
      const g = tf.grad((x) => tf.sum(tf.mul(tf.image[op](x, ...xs.slice(1)), w)));
      return out(g(xs[0]));
    }
    const y = await tf.image[op](...xs);
    if (y instanceof tf.Tensor) return out(y);
    const named = {};
    for (const [k, v] of Object.entries(y)) named[k] = out(v);
    return named;
  } catch (e) {
    return {error: String(e.message || e)};
  }
}

(async () => {
  const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const results = [];
  for (const c of cases) results.push(await run(c));
  process.stdout.write(JSON.stringify(results));
})();
