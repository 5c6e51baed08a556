import * as tf from '@tensorflow/tfjs';
await tf.setBackend('cpu'); await tf.ready();
function time(name: string, f: () => tf.Tensor, reps = 3) {
  for (let i = 0; i < 1; i++) tf.tidy(f).dispose();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) { const r = tf.tidy(f); r.dataSync(); r.dispose(); }
  const ms = (performance.now() - t0) / reps;
  console.log(`${name.padEnd(50)} ${ms.toFixed(3).padStart(8)} ms`);
}
function viaConv(a: tf.Tensor, b: tf.Tensor) {
  const [B, M, K] = a.shape; const N = b.shape[2];
  const inp = tf.reshape(tf.transpose(a, [1, 2, 0]), [1, M, K, B]);
  const filt = tf.reshape(tf.transpose(b, [1, 0, 2]), [1, K, B, N]);
  const out = tf.depthwiseConv2d(inp as tf.Tensor4D, filt as tf.Tensor4D, 1, 'valid');
  return tf.transpose(tf.reshape(out, [M, B, N]), [1, 0, 2]);
}
const a = tf.randomNormal([64, 64, 64]); const b = tf.randomNormal([64, 64, 64]);
time('batched matMul', () => tf.matMul(a, b)); time('depthwise', () => viaConv(a, b));
const x = tf.randomNormal([2048, 512]); 
time('sum axis 0', () => tf.sum(x, 0)); time('ones@x', () => tf.matMul(tf.ones([1, 2048]), x));
time('broadcastTo scalar', () => tf.broadcastTo(tf.scalar(0), [2048, 512])); time('add zeros', () => tf.add(tf.scalar(0), tf.zeros([2048, 512])));
time('fill', () => tf.fill([2048, 512], 0));
const emb = tf.randomNormal([1000, 128]); const ids = tf.randomUniform([32, 64], 0, 1000, 'int32');
time('gather', () => tf.gather(emb, ids)); time('gatherND', () => tf.gatherND(emb, tf.reshape(ids, [32, 64, 1])));
const col = tf.randomUniform([2048, 1], 0, 1000, 'int32'); const upd = tf.randomNormal([2048, 128]);
time('scatterND rows', () => tf.scatterND(col, upd, [1000, 128]));
