/**
 * Losses: values against hand computation, gradients against central finite differences (float64 through the
 * interpreter), for the mean squared error (regression heads) and the weighted softmax cross-entropy (token heads).
 */
import { describe, expect, it } from 'vitest';
import { gradients } from './autodiff';
import { GraphBuilder, type Value } from './builder';
import { type Float64Tensor, interpret } from './interpret';
import { tensor } from './ir';
import { meanSquaredError, softmaxCrossEntropy } from './losses';

const f64 = (shape: number[], data: number[]): Float64Tensor => ({ dtype: 'float32', shape, data: Float64Array.from(data) });

/** Loss value and its symbolic gradients w.r.t. the float inputs, and the same gradients by central differences. */
function check(build: (b: GraphBuilder) => { loss: Value; wrt: Value[] }, feeds: Record<string, Float64Tensor | ReturnType<typeof tensor>>) {
  const b = new GraphBuilder('loss-check');
  const { loss, wrt } = build(b);
  b.output('loss', loss);
  const forward = b.build();
  const grads = gradients(b, loss, wrt);
  for (const [i, g] of grads.entries()) b.output(`grad.${wrt[i].name}`, g);
  const full = interpret(b.build(), feeds, { float64: true });
  const lossAt = (f: typeof feeds) => Number(interpret(forward, f, { float64: true }).loss.data[0]);
  const numeric: Record<string, number[]> = {};
  const symbolic: Record<string, number[]> = {};
  for (const x of wrt) {
    const fed = feeds[x.name] as Float64Tensor;
    symbolic[x.name] = Array.from(full[`grad.${x.name}`].data as Float64Array);
    numeric[x.name] = Array.from(fed.data as Float64Array, (_, i) => {
      const h = 1e-6;
      const plus = Float64Array.from(fed.data as Float64Array);
      const minus = Float64Array.from(fed.data as Float64Array);
      plus[i] += h;
      minus[i] -= h;
      return (lossAt({ ...feeds, [x.name]: { ...fed, data: plus } }) - lossAt({ ...feeds, [x.name]: { ...fed, data: minus } })) / (2 * h);
    });
  }
  return { value: Number(full.loss.data[0]), symbolic, numeric };
}

describe('meanSquaredError', () => {
  it('is the mean of squared differences, with gradient 2 (p - t) / n', () => {
    const p = [0.5, -1, 2, 0.25];
    const t = [1, -1, 0, 1];
    const { value, symbolic, numeric } = check(
      (b) => {
        const pred = b.input('pred', 'float32', ['batch', 1]);
        const target = b.input('target', 'float32', ['batch', 1]);
        return { loss: meanSquaredError(b, pred, target), wrt: [pred, target] };
      },
      { pred: f64([4, 1], p), target: f64([4, 1], t) },
    );
    // (0.25 + 0 + 4 + 0.5625) / 4
    expect(value).toBeCloseTo(4.8125 / 4, 12);
    const expected = p.map((x, i) => (2 * (x - t[i])) / 4);
    for (const [i, g] of symbolic.pred.entries()) expect(g).toBeCloseTo(expected[i], 10);
    for (const [i, g] of symbolic.target.entries()) expect(g).toBeCloseTo(-expected[i], 10);
    for (const k of ['pred', 'target']) for (const [i, g] of symbolic[k].entries()) expect(Math.abs(g - numeric[k][i])).toBeLessThan(1e-6);
  });
});

describe('softmaxCrossEntropy with weights (token heads: only counted positions)', () => {
  it('averages the NLL over weighted rows only, and rows of weight 0 get no gradient', () => {
    const logits = [1, 2, 0.5, -1, 0, 3, 0.2, 0.1, -0.4];
    const labels = [1, 0, 2];
    const weights = [1, 0, 1];
    const { value, symbolic, numeric } = check(
      (b) => {
        const x = b.input('logits', 'float32', ['n', 3]);
        const y = b.input('labels', 'int32', ['n', 1]);
        const w = b.input('weights', 'float32', ['n', 1]);
        return { loss: softmaxCrossEntropy(b, x, y, w), wrt: [x] };
      },
      { logits: f64([3, 3], logits), labels: tensor('int32', [3, 1], labels), weights: f64([3, 1], weights) },
    );
    const nll = (r: number) => {
      const row = logits.slice(3 * r, 3 * r + 3);
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      return lse - row[labels[r]];
    };
    expect(value).toBeCloseTo((nll(0) + nll(2)) / 2, 10);
    expect(symbolic.logits.slice(3, 6)).toEqual([0, 0, 0]);
    for (const [i, g] of symbolic.logits.entries()) expect(Math.abs(g - numeric.logits[i])).toBeLessThan(1e-6);
  });
});
