/**
 * Tests of the model plugin: the registry loads it as the runner would; its graph, run by @ssbench/graph's reference
 * interpreter, computes what the header says (checked against a plain JS computation); padding changes nothing;
 * and autodiff + AdamW (the runner's training step) fit a toy classification task with it.
 */
import { PluginRegistry, Rng, validatePluginOptions } from '@ssbench/core';
import { GraphBuilder, type Tensor, buildTrainingGraph, initialState, interpret, softmaxCrossEntropy, stepFeed, tensor } from '@ssbench/graph';
import { describe, expect, it } from 'vitest';
import plugin, { BagOfEmbeddings, PACKAGE_NAME, resolveOptions } from './index';

const V = 7; // vocabulary
const H = 3; // hidden size

/** The model's inputs as graph inputs with symbolic batch and seq (as the runner declares them). */
function declareInputs(b: GraphBuilder) {
  return {
    inputIds: b.input('input_ids', 'int32', ['batch', 'seq']),
    tokenTypeIds: b.input('token_type_ids', 'int32', ['batch', 'seq']),
    attentionMask: b.input('attention_mask', 'float32', ['batch', 'seq']),
  };
}

/** Every output of the model in one inference graph: forward, and each head. */
function inferenceGraph(model: BagOfEmbeddings) {
  const b = new GraphBuilder('bag-of-embeddings');
  const out = model.forward(b, declareInputs(b), { training: false });
  const rows = b.input('rows', 'float32', ['n', H]);
  b.output('sequence', out.sequence);
  b.output('pooled', out.pooled);
  b.output('mlm', model.mlmLogits(b, rows, { training: false }));
  b.output('pair', model.pairLogits(b, out.pooled));
  b.output('classes', model.classifierLogits(b, out.pooled, 3, { training: false }));
  return { graph: b.build(), params: b.params };
}

/** Parameters with uniform values in [-1, 1) (biases included, so every term of the computation shows). */
function randomWeights(params: readonly { name: string; shape: readonly number[] }[], seed: number): Record<string, Tensor> {
  const rng = new Rng(seed);
  const out: Record<string, Tensor> = {};
  for (const p of params) {
    const t = tensor('float32', p.shape);
    for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(-1, 1);
    out[p.name] = t;
  }
  return out;
}

/** Row r of a float32 tensor viewed as [rows, width]. */
const row = (t: Tensor, r: number, width: number) => Array.from((t.data as Float32Array).subarray(r * width, (r + 1) * width));
/** Element-wise closeness to `digits` decimals, and the same length. */
function expectClose(actual: readonly number[], expected: readonly number[], digits = 5): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((x, i) => {
    expect(x, `element ${i}`).toBeCloseTo(expected[i], digits);
  });
}
/** torch.nn.Linear with W [out, in]: W x + b. */
const linear = (w: Tensor, bias: Tensor, x: number[]) => row(bias, 0, bias.shape[0]).map((bo, o) => bo + x.reduce((s, xi, i) => s + row(w, o, x.length)[i] * xi, 0));

describe('the plugin object', () => {
  it('is loaded by the registry as the runner loads it, and its options have defaults', async () => {
    const loaded = await new PluginRegistry().load('./index.ts', { baseDir: import.meta.dirname, kind: 'model' });
    expect(loaded).toBe(plugin);
    expect(plugin.name).toBe(PACKAGE_NAME);
    expect(validatePluginOptions(plugin, {}, { pointer: '/models/0/options' })).toEqual({ hiddenSize: 64, typeVocabSize: 2, dropout: 0.1, initializerRange: 0.02 });
    expect(() => validatePluginOptions(plugin, { hiddenSize: 0 }, { pointer: '/models/0/options' })).toThrow(/\/models\/0\/options\/hiddenSize/);
    expect(() => resolveOptions({ dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(plugin.create({}, { vocabSize: V }).architecture).toBe('encoder');
  });
});

describe('the graph', () => {
  const model = new BagOfEmbeddings(resolveOptions({ hiddenSize: H }), V);
  const { graph, params } = inferenceGraph(model);
  const w = randomWeights(params, 1);
  const E = w['embeddings.word_embeddings.weight']; // [V, H]
  const T = w['embeddings.token_type_embeddings.weight']; // [2, H]

  it('declares its parameters under their names and shapes', () => {
    expect(params.map((p) => [p.name, p.shape])).toEqual([
      ['embeddings.token_type_embeddings.weight', [2, H]],
      ['embeddings.word_embeddings.weight', [V, H]],
      ['pooler.dense.weight', [H, H]],
      ['pooler.dense.bias', [H]],
      ['mlm.bias', [V]],
      ['pair.weight', [2, H]],
      ['pair.bias', [2]],
      ['classifier.weight', [3, H]],
      ['classifier.bias', [3]],
    ]);
  });

  it('computes the bag, the token states, the pooler and the heads as written in plain JS', () => {
    const ids = [
      [1, 2, 3, 0],
      [4, 4, 0, 0],
    ];
    const types = [
      [0, 0, 1, 0],
      [0, 1, 0, 0],
    ];
    const mask = [
      [1, 1, 1, 0],
      [1, 1, 0, 0],
    ];
    const hidden = [0.5, -1, 2]; // one row for the MLM head
    const out = interpret(graph, {
      ...w,
      input_ids: tensor('int32', [2, 4], ids.flat()),
      token_type_ids: tensor('int32', [2, 4], types.flat()),
      attention_mask: tensor('float32', [2, 4], mask.flat()),
      rows: tensor('float32', [1, H], hidden),
    });
    for (let r = 0; r < 2; r++) {
      const token = (i: number) => row(E, ids[r][i], H).map((e, k) => e + row(T, types[r][i], H)[k]);
      const real = mask[r].flatMap((m, i) => (m === 1 ? [i] : []));
      const bag = [0, 1, 2].map((k) => real.reduce((s, i) => s + token(i)[k], 0) / real.length);
      for (let i = 0; i < 4; i++) expectClose(row(out.sequence, r * 4 + i, H), token(i).map((t, k) => t + bag[k])); // padding too
      const pooled = linear(w['pooler.dense.weight'], w['pooler.dense.bias'], bag).map(Math.tanh);
      expectClose(row(out.pooled, r, H), pooled);
      const classes = linear(w['classifier.weight'], w['classifier.bias'], pooled);
      expectClose(row(out.classes, r, 3), classes);
      const pair = linear(w['pair.weight'], w['pair.bias'], pooled);
      expectClose(row(out.pair, r, 2), pair);
    }
    // Tied MLM head: logit of word v = hidden . E[v] + bias[v].
    const bias = row(w['mlm.bias'], 0, V);
    expectClose(
      row(out.mlm, 0, V),
      bias.map((bv, v) => row(E, v, H).reduce((s, e, k) => s + e * hidden[k], 0) + bv),
    );
  });

  it('ignores padding: whatever the padded positions hold, and however many there are', () => {
    const run = (ids: number[], types: number[], mask: number[]) =>
      interpret(graph, {
        ...w,
        input_ids: tensor('int32', [1, ids.length], ids),
        token_type_ids: tensor('int32', [1, ids.length], types),
        attention_mask: tensor('float32', [1, ids.length], mask),
        rows: tensor('float32', [1, H], [0, 0, 0]),
      }).pooled;
    const short = run([5, 6], [0, 1], [1, 1]);
    const padded = run([5, 6, 3, 2, 1], [0, 1, 1, 0, 1], [1, 1, 0, 0, 0]);
    expect(row(padded, 0, H)).toEqual(row(short, 0, H));
  });
});

describe('training', () => {
  it('autodiff and AdamW fit a toy task: is word 5 in the sequence?', () => {
    const model = plugin.create({ hiddenSize: 8, dropout: 0 }, { vocabSize: V });
    const b = new GraphBuilder('train');
    const out = model.forward(b, declareInputs(b), { training: true });
    const labels = b.input('labels', 'int32', ['batch', 1]);
    const logits = model.classifierLogits(b, out.pooled, 2, { training: true }); // [batch, 2]
    const loss = softmaxCrossEntropy(b, logits, labels);
    const tg = buildTrainingGraph(b, loss, { lr: 0.05, warmupSteps: 0, totalSteps: 60, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, schedule: 'constant' });
    // 8 rows of 3 words from {1, 2, 3}, word 5 put in rows 0, 2, 5 and 7.
    const rng = new Rng(3);
    const ids = Array.from({ length: 24 }, () => 1 + rng.int(3));
    const positive = [0, 2, 5, 7];
    for (const r of positive) ids[r * 3 + rng.int(3)] = 5;
    const batch = {
      input_ids: tensor('int32', [8, 3], ids),
      token_type_ids: tensor('int32', [8, 3]),
      attention_mask: tensor('float32', [8, 3], new Array(24).fill(1)),
      labels: tensor('int32', [8, 1], [0, 1, 2, 3, 4, 5, 6, 7].map((r) => (positive.includes(r) ? 1 : 0))),
    };
    let state: Record<string, Tensor> = { ...randomWeights(tg.params, 4), ...initialState(tg.params) };
    const losses: number[] = [];
    for (let step = 1; step <= 60; step++) {
      const o = interpret(tg.graph, { ...state, ...batch, [tg.stepInput]: stepFeed(step) });
      losses.push(row(o[tg.lossOutput], 0, 1)[0]);
      state = { ...state, ...Object.fromEntries(tg.state.map((s) => [s.input, o[s.output]])) };
    }
    expect(losses[0]).toBeGreaterThan(0.3);
    expect(losses.at(-1)).toBeLessThan(0.05);
  });
});
