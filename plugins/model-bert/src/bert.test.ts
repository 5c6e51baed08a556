import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EncoderModel } from '@ssbench/core';
import { type Graph, GraphBuilder, type ParamSpec, type Tensor, interpret, tensor, writeSafetensors } from '@ssbench/graph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, {
  BERT_PRESETS,
  type BertOptions,
  bertEncoderParamShapes,
  bertPretrainingHeadShapes,
  createBert,
  loadHfCheckpoint,
  resolveBertOptions,
  saveHfCheckpoint,
} from './index';

// ---- a small seeded generator (test-local, so the reference shares nothing with the model code) --------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normalGen(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Random weights for every declared parameter: large enough that a wrong wiring shows (not BERT's 0.02). */
function randomWeights(params: readonly { name: string; shape: readonly number[] }[], seed: number): Map<string, Tensor> {
  const n = normalGen(seed);
  const out = new Map<string, Tensor>();
  for (const p of params) {
    const size = p.shape.reduce((s, d) => s * d, 1);
    const data = new Float32Array(size);
    const isLnWeight = /LayerNorm\.weight$/.test(p.name);
    const isBias = /bias$/.test(p.name);
    for (let i = 0; i < size; i++) data[i] = isLnWeight ? 1 + 0.2 * n() : isBias ? 0.2 * n() : 0.4 * n();
    out.set(p.name, tensor('float32', p.shape, data));
  }
  return out;
}

// ---- an independent BERT in plain loops, float64 (HF modeling_bert semantics) ------------------------------

/** erf by Numerical Recipes' erfc Chebyshev fit (fractional error < 1.2e-7). */
function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

type Vec = number[];
type Weights = ReadonlyMap<string, Tensor>;

function w(ws: Weights, name: string): Float32Array {
  const t = ws.get(name);
  if (!t) throw new Error(`reference: no weight ${name}`);
  return t.data as Float32Array;
}

/** y = x W^T + b with W [out, in] (torch.nn.Linear). */
function dense(x: Vec, W: Float32Array, bias: Float32Array): Vec {
  const out = bias.length;
  const inn = x.length;
  const y: Vec = [];
  for (let o = 0; o < out; o++) {
    let s = bias[o];
    for (let i = 0; i < inn; i++) s += x[i] * W[o * inn + i];
    y.push(s);
  }
  return y;
}

function layerNorm(x: Vec, g: Float32Array, b: Float32Array, eps: number): Vec {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const v = x.reduce((s, a) => s + (a - mean) ** 2, 0) / x.length;
  return x.map((a, i) => ((a - mean) / Math.sqrt(v + eps)) * g[i] + b[i]);
}

const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

interface RefOut {
  sequence: Vec[][];
  /** [layer 0..L][batch][seq][H]: the embedding output, then each layer's output. */
  hidden: Vec[][][];
  pooled: Vec[];
  mlm: Vec[][];
  nsp: Vec[];
  cls: Vec[];
}

function referenceBert(o: BertOptions, ws: Weights, ids: number[][], types: number[][], mask: number[][]): RefOut {
  const H = o.hiddenSize;
  const nh = o.numHeads;
  const dh = H / nh;
  const eps = o.layerNormEps;
  const row = (name: string, r: number): Vec => Array.from(w(ws, name).subarray(r * H, (r + 1) * H));
  const sequence: Vec[][] = [];
  const hidden: Vec[][][] = Array.from({ length: o.numLayers + 1 }, () => []);
  for (let bi = 0; bi < ids.length; bi++) {
    const S = ids[bi].length;
    let h: Vec[] = [];
    for (let s = 0; s < S; s++) {
      const we = row('bert.embeddings.word_embeddings.weight', ids[bi][s]);
      const pe = row('bert.embeddings.position_embeddings.weight', s);
      const te = row('bert.embeddings.token_type_embeddings.weight', types[bi][s]);
      const e = we.map((v, i) => v + pe[i] + te[i]);
      h.push(layerNorm(e, w(ws, 'bert.embeddings.LayerNorm.weight'), w(ws, 'bert.embeddings.LayerNorm.bias'), eps));
    }
    hidden[0].push(h);
    for (let l = 0; l < o.numLayers; l++) {
      const p = `bert.encoder.layer.${l}`;
      const lin = (x: Vec, n: string) => dense(x, w(ws, `${n}.weight`), w(ws, `${n}.bias`));
      const q = h.map((x) => lin(x, `${p}.attention.self.query`));
      const k = h.map((x) => lin(x, `${p}.attention.self.key`));
      const v = h.map((x) => lin(x, `${p}.attention.self.value`));
      const ctx: Vec[] = h.map(() => new Array(H).fill(0));
      for (let head = 0; head < nh; head++) {
        for (let i = 0; i < S; i++) {
          const scores: number[] = [];
          for (let j = 0; j < S; j++) {
            let d = 0;
            for (let c = 0; c < dh; c++) d += q[i][head * dh + c] * k[j][head * dh + c];
            scores.push(d / Math.sqrt(dh) + (1 - mask[bi][j]) * -10000);
          }
          const m = Math.max(...scores);
          const ex = scores.map((x) => Math.exp(x - m));
          const z = ex.reduce((a, x) => a + x, 0);
          for (let j = 0; j < S; j++) for (let c = 0; c < dh; c++) ctx[i][head * dh + c] += (ex[j] / z) * v[j][head * dh + c];
        }
      }
      const a = h.map((x, i) => {
        const ao = lin(ctx[i], `${p}.attention.output.dense`);
        return layerNorm(
          ao.map((y, c) => y + x[c]),
          w(ws, `${p}.attention.output.LayerNorm.weight`),
          w(ws, `${p}.attention.output.LayerNorm.bias`),
          eps,
        );
      });
      h = a.map((x) => {
        const inner = lin(x, `${p}.intermediate.dense`).map(gelu);
        const f = lin(inner, `${p}.output.dense`);
        return layerNorm(
          f.map((y, c) => y + x[c]),
          w(ws, `${p}.output.LayerNorm.weight`),
          w(ws, `${p}.output.LayerNorm.bias`),
          eps,
        );
      });
      hidden[l + 1].push(h);
    }
    sequence.push(h);
  }
  const pooled = sequence.map((h) => dense(h[0], w(ws, 'bert.pooler.dense.weight'), w(ws, 'bert.pooler.dense.bias')).map(Math.tanh));
  const wte = w(ws, 'bert.embeddings.word_embeddings.weight');
  const V = wte.length / H;
  const mlm = sequence.map((h) =>
    h.map((x) => {
      const t = layerNorm(
        dense(x, w(ws, 'cls.predictions.transform.dense.weight'), w(ws, 'cls.predictions.transform.dense.bias')).map(gelu),
        w(ws, 'cls.predictions.transform.LayerNorm.weight'),
        w(ws, 'cls.predictions.transform.LayerNorm.bias'),
        eps,
      );
      const bias = w(ws, 'cls.predictions.bias');
      const out: Vec = [];
      for (let vi = 0; vi < V; vi++) {
        let s = bias[vi];
        for (let c = 0; c < H; c++) s += t[c] * wte[vi * H + c];
        out.push(s);
      }
      return out;
    }),
  );
  const nsp = pooled.map((x) => dense(x, w(ws, 'cls.seq_relationship.weight'), w(ws, 'cls.seq_relationship.bias')));
  const cls = pooled.map((x) => dense(x, w(ws, 'classifier.weight'), w(ws, 'classifier.bias')));
  return { sequence, hidden, pooled, mlm, nsp, cls };
}

// ---- graph helpers --------------------------------------------------------------------------------------------

interface Built {
  graph: Graph;
  params: ParamSpec[];
  dropouts: GraphBuilder['dropouts'];
}

function buildAll(model: EncoderModel, batch: number | string, seq: number | string, numLabels: number, training = false): Built {
  const b = new GraphBuilder('bert');
  const inputIds = b.input('input_ids', 'int32', [batch, seq]);
  const tokenTypeIds = b.input('token_type_ids', 'int32', [batch, seq]);
  const attentionMask = b.input('attention_mask', 'float32', [batch, seq]);
  const fo = { training };
  const out = model.forward(b, { inputIds, tokenTypeIds, attentionMask }, fo);
  b.output('sequence', out.sequence);
  b.output('pooled', out.pooled);
  b.output('mlm', model.mlmLogits(b, out.sequence, fo));
  b.output('nsp', model.pairLogits(b, out.pooled));
  b.output('cls', model.classifierLogits(b, out.pooled, numLabels, fo));
  return { graph: b.build(), params: [...b.params], dropouts: [...b.dropouts] };
}

function batchFeeds(ids: number[][], types: number[][], mask: number[][]): Record<string, Tensor> {
  const B = ids.length;
  const S = ids[0].length;
  return {
    input_ids: tensor('int32', [B, S], ids.flat()),
    token_type_ids: tensor('int32', [B, S], types.flat()),
    attention_mask: tensor('float32', [B, S], mask.flat()),
  };
}

function run(g: Graph, weights: Weights, batch: Record<string, Tensor>, extra: Record<string, Tensor> = {}): Record<string, Tensor> {
  return interpret(g, { ...Object.fromEntries(weights), ...batch, ...extra });
}

const f32 = (t: Tensor) => t.data as Float32Array;

/** Max |a - b| between a graph output and a nested reference array. */
function maxDiff(t: Tensor, ref: unknown): number {
  const flat = (ref as unknown[]).flat(3) as number[];
  expect(t.data.length).toBe(flat.length);
  let m = 0;
  for (let i = 0; i < flat.length; i++) m = Math.max(m, Math.abs(Number(t.data[i]) - flat[i]));
  return m;
}

function expectClose(outs: Record<string, Tensor>, ref: RefOut, tol = 1e-4): void {
  for (const k of ['sequence', 'pooled', 'mlm', 'nsp', 'cls'] as const) {
    const d = maxDiff(outs[k], ref[k]);
    expect(d, `${k}: max abs diff ${d}`).toBeLessThan(tol);
  }
}

const TINY = { hiddenSize: 16, numLayers: 2, numHeads: 4, intermediateSize: 24, maxPositions: 12, typeVocabSize: 2 };
const VOCAB = 23;

/** Random batch: [CLS]-like id first, token types 0 then 1, padding (mask 0, id 0) at the end of row 1. */
function randomBatch(B: number, S: number, lengths: number[], seed: number) {
  const u = mulberry32(seed);
  const ids: number[][] = [];
  const types: number[][] = [];
  const mask: number[][] = [];
  for (let b = 0; b < B; b++) {
    ids.push([]);
    types.push([]);
    mask.push([]);
    for (let s = 0; s < S; s++) {
      const real = s < lengths[b];
      ids[b].push(real ? 1 + Math.floor(u() * (VOCAB - 1)) : 0);
      types[b].push(real && s >= lengths[b] / 2 ? 1 : 0);
      mask[b].push(real ? 1 : 0);
    }
  }
  return { ids, types, mask };
}

// ---- tests ------------------------------------------------------------------------------------------------

describe('BERT graph', () => {
  it('(a) infers the shapes of every head, symbolic and static, and declares exactly the HF parameters', () => {
    const model = createBert(TINY, { vocabSize: VOCAB });
    const sym = buildAll(model, 'batch', 'seq', 3);
    const shape = (g: Graph, n: string) => g.outputs.find((o) => o.name === n)?.shape;
    expect(shape(sym.graph, 'sequence')).toEqual(['batch', 'seq', 16]);
    expect(shape(sym.graph, 'pooled')).toEqual(['batch', 16]);
    expect(shape(sym.graph, 'mlm')).toEqual(['batch', 'seq', VOCAB]);
    expect(shape(sym.graph, 'nsp')).toEqual(['batch', 2]);
    expect(shape(sym.graph, 'cls')).toEqual(['batch', 3]);
    const stat = buildAll(model, 2, 7, 3);
    expect(shape(stat.graph, 'sequence')).toEqual([2, 7, 16]);
    expect(shape(stat.graph, 'mlm')).toEqual([2, 7, VOCAB]);
    // Every value of the static graph has a fully numeric shape (no symbol leaked).
    for (const v of stat.graph.values.values()) expect(v.shape.every((d) => typeof d === 'number'), v.name).toBe(true);

    const o = resolveBertOptions(TINY);
    const want = new Map([
      ...bertEncoderParamShapes(o, VOCAB),
      ...bertPretrainingHeadShapes(o, VOCAB),
      ['classifier.weight', [3, 16]],
      ['classifier.bias', [3]],
    ]);
    expect(new Map(sym.params.map((p) => [p.name, p.shape]))).toEqual(want);
    // Tied MLM decoder: the word embedding is one parameter, read by both Gather and the MLM head's Gemm.
    const readers = sym.graph.nodes.filter((n) => n.inputs.includes('bert.embeddings.word_embeddings.weight')).map((n) => n.op);
    expect(readers.sort()).toEqual(['Gather', 'Gemm']);
    // Dense weights are [out, in]: one Gemm with transB and the bias, no Transpose of any weight.
    const q = sym.graph.nodes.find((n) => n.inputs.includes('bert.encoder.layer.0.attention.self.query.weight'));
    expect(q).toMatchObject({ op: 'Gemm', attrs: { transB: 1 } });
    expect(q?.inputs[2]).toBe('bert.encoder.layer.0.attention.self.query.bias');
    const weights = new Set(sym.params.map((p) => p.name));
    expect(sym.graph.nodes.filter((n) => n.op === 'Transpose' && weights.has(n.inputs[0]))).toEqual([]);
    // Init: normal(0.02) weights, zero biases, unit LayerNorm scales.
    const init = new Map(sym.params.map((p) => [p.name, p.init]));
    expect(init.get('bert.encoder.layer.1.output.dense.weight')).toEqual({ kind: 'normal', std: 0.02 });
    expect(init.get('bert.embeddings.position_embeddings.weight')).toEqual({ kind: 'normal', std: 0.02 });
    expect(init.get('cls.predictions.bias')).toEqual({ kind: 'zeros' });
    expect(init.get('bert.encoder.layer.1.output.LayerNorm.weight')).toEqual({ kind: 'ones' });
    expect(sym.dropouts).toEqual([]);
  });

  it('declares one dropout mask per hidden dropout site in training mode', () => {
    const model = createBert(TINY, { vocabSize: VOCAB });
    const tr = buildAll(model, 'batch', 'seq', 3, true);
    // embeddings + 2 per layer (attention output, FFN output) on token rows [batch*seq, H] + classifier input
    expect(tr.dropouts.map((d) => d.shape)).toEqual([
      ['batch*seq', 16],
      ...Array(2 * TINY.numLayers).fill(['batch*seq', 16]),
      ['batch', 16],
    ]);
    expect(tr.dropouts.every((d) => d.rate === 0.1)).toBe(true);
  });

  it('(b) matches an independent float64 implementation (symbolic and static shapes, training with keep-all masks)', () => {
    const model = createBert(TINY, { vocabSize: VOCAB });
    const o = resolveBertOptions(TINY);
    const sym = buildAll(model, 'batch', 'seq', 3);
    const weights = randomWeights(sym.params, 1);
    const { ids, types, mask } = randomBatch(2, 7, [7, 5], 2);
    const ref = referenceBert(o, weights, ids, types, mask);
    expectClose(run(sym.graph, weights, batchFeeds(ids, types, mask)), ref);
    const stat = buildAll(model, 2, 7, 3);
    expectClose(run(stat.graph, weights, batchFeeds(ids, types, mask)), ref);
    // Training graph with all-ones keep masks computes the eval function.
    const tr = buildAll(model, 2, 7, 3, true);
    const ones = Object.fromEntries(tr.dropouts.map((d) => [d.name, tensor('float32', d.shape as number[], new Float32Array((d.shape as number[]).reduce((s, x) => s * x, 1)).fill(1))]));
    expectClose(run(tr.graph, weights, batchFeeds(ids, types, mask), ones), ref);
  });

  it('(d) outputs at real positions do not change when padding is appended', () => {
    const model = createBert(TINY, { vocabSize: VOCAB });
    const g = buildAll(model, 'batch', 'seq', 3).graph;
    const weights = randomWeights(buildAll(model, 'batch', 'seq', 3).params, 3);
    const short = randomBatch(2, 5, [5, 4], 4);
    const pad = (rows: number[][], v: number) => rows.map((r) => [...r, ...Array(4).fill(v)]);
    const long = { ids: pad(short.ids, 0), types: pad(short.types, 0), mask: pad(short.mask, 0) };
    // Padding with non-zero ids and token types too: masked keys must not matter whatever they hold.
    long.ids[0][6] = 7;
    long.types[1][8] = 1;
    const a = run(g, weights, batchFeeds(short.ids, short.types, short.mask));
    const b = run(g, weights, batchFeeds(long.ids, long.types, long.mask));
    const H = 16;
    let d = 0;
    for (let bi = 0; bi < 2; bi++)
      for (let s = 0; s < 5; s++)
        for (let c = 0; c < H; c++) {
          if (short.mask[bi][s] === 0) continue;
          d = Math.max(d, Math.abs(f32(a.sequence)[(bi * 5 + s) * H + c] - f32(b.sequence)[(bi * 9 + s) * H + c]));
        }
    expect(d).toBeLessThan(1e-5);
    for (const k of ['pooled', 'nsp', 'cls']) for (let i = 0; i < a[k].data.length; i++) expect(Math.abs(f32(a[k])[i] - f32(b[k])[i])).toBeLessThan(1e-5);
    // And the mask matters: without it the padded run differs.
    const unmasked = run(g, weights, batchFeeds(long.ids, long.types, long.mask.map((r) => r.map(() => 1))));
    expect(Math.abs(f32(unmasked.pooled)[0] - f32(a.pooled)[0])).toBeGreaterThan(1e-4);
  });

  it('exposes per-layer hidden states (HF output_hidden_states) only when read, the last one being `sequence`', () => {
    const model = createBert(TINY, { vocabSize: VOCAB });
    const o = resolveBertOptions(TINY);
    const build = (batch: number | string, seq: number | string, read: boolean) => {
      const b = new GraphBuilder('bert-hidden');
      const inputIds = b.input('input_ids', 'int32', [batch, seq]);
      const tokenTypeIds = b.input('token_type_ids', 'int32', [batch, seq]);
      const attentionMask = b.input('attention_mask', 'float32', [batch, seq]);
      const out = model.forward(b, { inputIds, tokenTypeIds, attentionMask }, { training: false });
      b.output('sequence', out.sequence);
      b.output('pooled', out.pooled);
      const before = b.build().nodes.length;
      if (read) {
        const hs = out.hiddenStates ?? [];
        expect(out.hiddenStates).toBe(hs); // memoised: reading again adds nothing
        expect(hs.length).toBe(TINY.numLayers + 1);
        expect(hs[hs.length - 1]).toBe(out.sequence);
        hs.slice(0, -1).forEach((v, l) => {
          b.output(`hidden.${l}`, v);
        });
      }
      return { graph: b.build(), params: [...b.params], before };
    };
    // Not read: no extra node (the graph is what it was before hidden states existed).
    const plain = build('batch', 'seq', false);
    expect(plain.graph.nodes.length).toBe(plain.before);
    expect(plain.graph.nodes.some((n) => n.outputs.some((x) => x.includes('hidden_states')))).toBe(false);
    const weights = randomWeights(buildAll(model, 'batch', 'seq', 3).params, 5); // the reference also computes every head
    const { ids, types, mask } = randomBatch(2, 6, [6, 4], 6);
    const ref = referenceBert(o, weights, ids, types, mask);
    for (const [batch, seq] of [
      ['batch', 'seq'],
      [2, 6],
    ] as const) {
      const g = build(batch, seq, true).graph;
      for (let l = 0; l < TINY.numLayers; l++) expect(g.outputs.find((x) => x.name === `hidden.${l}`)?.shape).toEqual([batch, seq, 16]);
      const encoderWeights = new Map([...weights].filter(([name]) => name.startsWith('bert.')));
      const outs = run(g, encoderWeights, batchFeeds(ids, types, mask));
      for (let l = 0; l < TINY.numLayers; l++) {
        const d = maxDiff(outs[`hidden.${l}`], ref.hidden[l]);
        expect(d, `layer ${l}: max abs diff ${d}`).toBeLessThan(1e-4);
      }
      expect(maxDiff(outs.sequence, ref.hidden[TINY.numLayers])).toBeLessThan(1e-4);
    }
  });

  it('(e) BERT-base has the published parameter count', () => {
    const model = createBert({ preset: 'base' }, { vocabSize: 30522 });
    const { params } = buildAll(model, 'batch', 'seq', 2);
    const count = (filter: (n: string) => boolean) => params.filter((p) => filter(p.name)).reduce((s, p) => s + p.shape.reduce((a, d) => a * d, 1), 0);
    const [V, P, T, H, I, L] = [30522, 512, 2, 768, 3072, 12];
    const embeddings = (V + P + T) * H + 2 * H;
    const layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
    const pooler = H * H + H;
    expect(count((n) => n.startsWith('bert.'))).toBe(embeddings + L * layer + pooler);
    expect(count((n) => n.startsWith('bert.'))).toBe(109_482_240); // HF BertModel.from_pretrained('bert-base-uncased')
    const heads = H * H + H + 2 * H + V + 2 * H + 2; // MLM transform + LN + decoder bias (tied weights), NSP
    expect(count((n) => !n.startsWith('classifier.'))).toBe(109_482_240 + heads); // BertForPreTraining: 110,106,428
    expect(109_482_240 + heads).toBe(110_106_428);
    expect(model.flopsPerToken(128)).toBe(2 * L * (4 * H * H + 2 * H * I + 2 * 128 * H));
  });

  it('(f) validates options: attention dropout, presets, divisibility', () => {
    expect(() => createBert({ attentionDropout: 0.1 }, { vocabSize: 10 })).toThrow(/attentionDropout 0.1 is not supported/);
    expect(() => resolveBertOptions({ hiddenSize: 130, numHeads: 4 })).toThrow(/not divisible/);
    expect(() => resolveBertOptions({ preset: 'base', hiddenSize: 512 })).toThrow(/contradicts preset "base"/);
    expect(() => resolveBertOptions({ hidden: 12 } as never)).toThrow(/unknown option "hidden"/);
    expect(resolveBertOptions({ preset: 'mini' })).toMatchObject({ hiddenSize: 256, numLayers: 4, numHeads: 4, intermediateSize: 1024 });
    // Schema defaults filled in before create (as ajv's useDefaults does) do not fight the preset.
    expect(resolveBertOptions({ preset: 'small', hiddenSize: 128, numLayers: 2, numHeads: 2 })).toMatchObject({ hiddenSize: 512, numLayers: 4, numHeads: 8 });
    expect(resolveBertOptions({})).toEqual({
      hiddenSize: 128,
      numLayers: 2,
      numHeads: 2,
      intermediateSize: 512,
      maxPositions: 512,
      typeVocabSize: 2,
      hiddenDropout: 0.1,
      attentionDropout: 0,
      initializerRange: 0.02,
      layerNormEps: 1e-12,
    });
    for (const [name, p] of Object.entries(BERT_PRESETS)) expect(resolveBertOptions({ preset: name as never })).toMatchObject(p);
    expect(plugin).toMatchObject({ kind: 'model', name: '@ssbench/model-bert', architecture: 'encoder' });
    expect(plugin.version).toMatch(/^\d+\.\d+\.\d+/);
    expect((plugin.optionsSchema as { additionalProperties: boolean }).additionalProperties).toBe(false);
  });
});

describe('Hugging Face checkpoints', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssbench-bert-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const hfConfig = {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: VOCAB,
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 24,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: 12,
    type_vocab_size: 2,
    initializer_range: 0.02,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
  };
  const vocabText = `${['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...Array.from({ length: VOCAB - 5 }, (_, i) => `w${i}`)].join('\n')}\n`;

  /** Writes an HF-style directory: BertModel names (no "bert." prefix), a TF-style gamma/beta pair, buffers. */
  async function writeHfDir(sub: string, weights: Weights, mutate?: (t: Map<string, Tensor>) => void): Promise<string> {
    const d = join(dir, sub);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(d, { recursive: true });
    const named = new Map<string, Tensor>();
    for (const [n, t] of weights) {
      let name = n.startsWith('bert.') ? n.slice(5) : n;
      if (name === 'embeddings.LayerNorm.weight') name = 'embeddings.LayerNorm.gamma';
      if (name === 'embeddings.LayerNorm.bias') name = 'embeddings.LayerNorm.beta';
      if (name === 'cls.predictions.bias') name = 'cls.predictions.decoder.bias';
      named.set(name, t);
    }
    named.set('cls.predictions.decoder.weight', weights.get('bert.embeddings.word_embeddings.weight') as Tensor);
    named.set('embeddings.position_ids', tensor('int64', [1, 12], Array.from({ length: 12 }, (_, i) => i)));
    mutate?.(named);
    await writeFile(join(d, 'config.json'), JSON.stringify(hfConfig));
    await writeFile(join(d, 'model.safetensors'), writeSafetensors(named, { format: 'pt' }));
    await writeFile(join(d, 'vocab.txt'), vocabText);
    return d;
  }

  it('(c) loads an HF-layout checkpoint and gives the logits the independent computation implies', async () => {
    const o = resolveBertOptions(TINY);
    const params = buildAll(createBert(TINY, { vocabSize: VOCAB }), 'batch', 'seq', 3).params;
    const weights = randomWeights(params, 5);
    const d = await writeHfDir('ok', weights);
    const ck = await loadHfCheckpoint(d);
    expect(ck.config).toEqual({ ...o, hiddenDropout: 0.1, attentionDropout: 0, initializerRange: 0.02, layerNormEps: 1e-12 });
    expect(ck.vocabSize).toBe(VOCAB);
    expect(ck.vocabPath).toBe(join(d, 'vocab.txt'));
    expect(ck.notes.some((n) => n.includes('attention_probs_dropout_prob'))).toBe(true);
    expect([...ck.weights.keys()].sort()).toEqual([...weights.keys()].sort());

    const model = createBert(ck.config, { vocabSize: ck.vocabSize });
    const g = buildAll(model, 'batch', 'seq', 3).graph;
    const { ids, types, mask } = randomBatch(2, 6, [6, 3], 6);
    expectClose(run(g, ck.weights, batchFeeds(ids, types, mask)), referenceBert(o, weights, ids, types, mask));

    // Round trip through our writer: HF keys in config.json, BertForPreTraining names.
    const out = join(dir, 'saved');
    await saveHfCheckpoint(out, ck.config, ck.weights, vocabText);
    const cfg = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ architectures: ['BertForPreTraining'], hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 24, vocab_size: VOCAB, hidden_act: 'gelu' });
    const again = await loadHfCheckpoint(out);
    expect(again.config).toEqual(ck.config);
    for (const [n, t] of ck.weights) expect(again.weights.get(n)?.data, n).toEqual(t.data);
    expect(await readFile(join(out, 'vocab.txt'), 'utf8')).toBe(vocabText);
  });

  it('names the file and the tensor when a checkpoint is incomplete or mis-shaped', async () => {
    const params = buildAll(createBert(TINY, { vocabSize: VOCAB }), 'batch', 'seq', 3).params;
    const weights = randomWeights(params, 7);
    const missing = await writeHfDir('missing', weights, (t) => t.delete('encoder.layer.1.output.dense.bias'));
    await expect(loadHfCheckpoint(missing)).rejects.toThrow(/missing\/model\.safetensors: missing tensor bert\.encoder\.layer\.1\.output\.dense\.bias/);
    const wrong = await writeHfDir('wrong', weights, (t) => t.set('encoder.layer.0.intermediate.dense.weight', tensor('float32', [16, 24])));
    await expect(loadHfCheckpoint(wrong)).rejects.toThrow(/wrong\/model\.safetensors: tensor encoder\.layer\.0\.intermediate\.dense\.weight has shape \[16, 24\], expected \[24, 16\]/);
    const gelu = await writeHfDir('act', weights);
    await writeFile(join(gelu, 'config.json'), JSON.stringify({ ...hfConfig, hidden_act: 'relu' }));
    await expect(loadHfCheckpoint(gelu)).rejects.toThrow(/act\/config\.json: "hidden_act" is "relu"/);
    await expect(loadHfCheckpoint(join(dir, 'nowhere'))).rejects.toThrow(/nowhere\/config\.json: cannot read \(ENOENT\)/);
    await expect(saveHfCheckpoint(join(dir, 'bad'), resolveBertOptions(TINY), new Map(), vocabText)).rejects.toThrow(/missing tensor bert\.embeddings\.word_embeddings\.weight/);
  });
});
