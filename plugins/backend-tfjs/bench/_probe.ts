import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
const require = createRequire(import.meta.url);
const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
for (const be of ['cpu', 'wasm']) {
  await tf.setBackend(be); await tf.ready();
  console.log('==', be, tf.getBackend(), tf.version);
  const idx = tf.tensor2d([[1], [1], [3], [1]], [4, 1], 'int32');
  const s = tf.scatterND(idx, tf.tensor1d([1, 2, 3, 4]), [5]);
  console.log('scatterND dup', Array.from(s.dataSync()));
  try { const u = tf.tensorScatterUpdate(tf.zeros([5]), tf.tensor2d([[1], [3]], [2, 1], 'int32'), tf.tensor1d([7, 8])); console.log('tsu', Array.from(u.dataSync())); } catch (e) { console.log('tsu err', String(e)); }
  try { const w = tf.where(tf.tensor1d([1, 0, 1], 'bool'), tf.scalar(1), tf.tensor2d([[5, 6, 7]])); console.log('where bcast', w.shape, Array.from(w.dataSync())); } catch (e) { console.log('where err', String(e)); }
  try { const m = tf.matMul(tf.ones([2, 3, 4]), tf.ones([1, 4, 5])); console.log('matmul bcast', m.shape); } catch (e) { console.log('matmul err', String(e)); }
  try { const m = tf.matMul(tf.ones([2, 3, 4]), tf.ones([4, 5])); console.log('matmul rank', m.shape); } catch (e) { console.log('matmul rank err', String(e).slice(0,100)); }
  const xs = Array.from({ length: 2001 }, (_, i) => -5 + i * 0.005);
  const e = tf.erf(tf.tensor1d(xs)).dataSync();
  // reference erf via high-precision series/continued fraction
  const erfRef = (x: number) => { // Abramowitz-Stegun 7.1.26 isn't precise; use series for |x|<3 and cf beyond
    const ax = Math.abs(x); let r: number;
    if (ax < 3) { let sum = 0, term = ax; for (let n = 0; n < 200; n++) { sum += term / (2 * n + 1); term *= -ax * ax / (n + 1); } r = sum * 2 / Math.sqrt(Math.PI); }
    else { let f = 0; for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f); r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f); }
    return x < 0 ? -r : r; };
  let me = 0; xs.forEach((x, i) => me = Math.max(me, Math.abs(e[i] - erfRef(x)))); console.log('erf max err', me);
  console.log('cast', Array.from(tf.cast(tf.tensor1d([-1.7, 1.7, 2.5]), 'int32').dataSync()));
  console.log('int div', Array.from(tf.div(tf.tensor1d([-7, 7], 'int32'), tf.tensor1d([2, 2], 'int32')).dataSync()));
  try { console.log('gather neg', Array.from(tf.gather(tf.tensor1d([1, 2, 3]), tf.tensor1d([-1], 'int32')).dataSync())); } catch (e) { console.log('gather neg err', String(e).slice(0, 100)); }
  try { console.log('softmax axis0', tf.softmax(tf.ones([2, 3]), 0).shape); } catch (e) { console.log('softmax axis err', String(e).slice(0, 100)); }
  console.log('bool data', tf.tensor1d([1, 0], 'bool').dataSync().constructor.name);
  const a = tf.ones([3]); const b = tf.broadcastTo(a, [3]); console.log('bcastTo same obj', a === b);
  const r = tf.reshape(a, [3]); console.log('reshape same obj', a === r);
  const c = tf.cast(a, 'float32'); console.log('cast same obj', a === c);
  console.log('mem', tf.memory());
  console.log('pow neg', Array.from(tf.pow(tf.tensor1d([-2, 2]), tf.scalar(3)).dataSync()), Array.from(tf.pow(tf.tensor1d([-2, 2]), tf.scalar(2)).dataSync()));
}
