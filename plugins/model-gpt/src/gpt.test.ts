import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BackendSession, type DecoderModel, Rng } from '@ssbench/core';
import { type Graph, GraphBuilder, type ParamSpec, type Tensor, interpret, tensor, writeSafetensors } from '@ssbench/graph';
import { trainByteLevelBPE } from '@ssbench/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, {
  GPT_PRESETS,
  type GptOptions,
  createGpt,
  gptParamShapes,
  loadHfGpt2Checkpoint,
  pickToken,
  resolveGptOptions,
  saveHfGpt2Checkpoint,
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

/** Random weights for every declared parameter: large enough that a wrong wiring shows (not GPT-2's 0.02). */
function randomWeights(params: readonly { name: string; shape: readonly number[] }[], seed: number): Map<string, Tensor> {
  const n = normalGen(seed);
  const out = new Map<string, Tensor>();
  for (const p of params) {
    const size = p.shape.reduce((s, d) => s * d, 1);
    const data = new Float32Array(size);
    const isLnWeight = /ln_(1|2|f)\.weight$/.test(p.name);
    const isBias = /bias$/.test(p.name);
    for (let i = 0; i < size; i++) data[i] = isLnWeight ? 1 + 0.2 * n() : isBias ? 0.2 * n() : 0.4 * n();
    out.set(p.name, tensor('float32', p.shape, data));
  }
  return out;
}

// ---- an independent GPT-2 in plain loops, float64 (openai/gpt-2 model.py semantics) ------------------------

type Vec = number[];
type Weights = ReadonlyMap<string, Tensor>;

function w(ws: Weights, name: string): Float32Array {
  const t = ws.get(name);
  if (!t) throw new Error(`reference: no weight ${name}`);
  return t.data as Float32Array;
}

/** GPT-2 conv1d: y = x W + b with W [in, out]. */
function conv1d(x: Vec, W: Float32Array, bias: Float32Array): Vec {
  const out = bias.length;
  const y: Vec = Array.from(bias);
  for (let i = 0; i < x.length; i++) for (let o = 0; o < out; o++) y[o] += x[i] * W[i * out + o];
  return y;
}

function layerNorm(x: Vec, g: Float32Array, b: Float32Array, eps: number): Vec {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const v = x.reduce((s, a) => s + (a - mean) ** 2, 0) / x.length;
  return x.map((a, i) => ((a - mean) / Math.sqrt(v + eps)) * g[i] + b[i]);
}

const geluNew = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

interface RefOut {
  sequence: Vec[][];
  pooled: Vec[];
  lm: Vec[][];
  cls: Vec[];
}

/**
 * Position i attends to positions j <= i whose mask is 1 (right padding only, so every query has a real key).
 * `types`: token types embedded through wte when given.
 */
function referenceGpt(o: GptOptions, ws: Weights, ids: number[][], mask: number[][], types?: number[][]): RefOut {
  const H = o.nEmbd;
  const nh = o.nHead;
  const dh = H / nh;
  const eps = o.layerNormEps;
  const row = (name: string, r: number): Vec => Array.from(w(ws, name).subarray(r * H, (r + 1) * H));
  const sequence: Vec[][] = [];
  for (let bi = 0; bi < ids.length; bi++) {
    const S = ids[bi].length;
    let h: Vec[] = [];
    for (let s = 0; s < S; s++) {
      const te = row('transformer.wte.weight', ids[bi][s]);
      const pe = row('transformer.wpe.weight', s);
      const tt = types ? row('transformer.wte.weight', types[bi][s]) : new Array(H).fill(0);
      h.push(te.map((v, i) => v + pe[i] + tt[i]));
    }
    for (let l = 0; l < o.nLayer; l++) {
      const p = `transformer.h.${l}`;
      const cv = (x: Vec, n: string) => conv1d(x, w(ws, `${n}.weight`), w(ws, `${n}.bias`));
      const qkv = h.map((x) => cv(layerNorm(x, w(ws, `${p}.ln_1.weight`), w(ws, `${p}.ln_1.bias`), eps), `${p}.attn.c_attn`));
      const ctx: Vec[] = h.map(() => new Array(H).fill(0));
      for (let head = 0; head < nh; head++) {
        for (let i = 0; i < S; i++) {
          const keys: number[] = [];
          const scores: number[] = [];
          for (let j = 0; j <= i; j++) {
            if (mask[bi][j] === 0) continue;
            let d = 0;
            for (let c = 0; c < dh; c++) d += qkv[i][head * dh + c] * qkv[j][H + head * dh + c];
            keys.push(j);
            scores.push(d / Math.sqrt(dh));
          }
          const m = Math.max(...scores);
          const ex = scores.map((x) => Math.exp(x - m));
          const z = ex.reduce((a, x) => a + x, 0);
          keys.forEach((j, t) => {
            for (let c = 0; c < dh; c++) ctx[i][head * dh + c] += (ex[t] / z) * qkv[j][2 * H + head * dh + c];
          });
        }
      }
      h = h.map((x, i) => {
        const a = cv(ctx[i], `${p}.attn.c_proj`).map((y, c) => y + x[c]);
        const inner = cv(layerNorm(a, w(ws, `${p}.ln_2.weight`), w(ws, `${p}.ln_2.bias`), eps), `${p}.mlp.c_fc`).map(geluNew);
        return cv(inner, `${p}.mlp.c_proj`).map((y, c) => y + a[c]);
      });
    }
    sequence.push(h.map((x) => layerNorm(x, w(ws, 'transformer.ln_f.weight'), w(ws, 'transformer.ln_f.bias'), eps)));
  }
  const lastReal = (m: number[]) => m.reduce((last, x, i) => (x === 1 ? i : last), 0);
  const pooled = sequence.map((h, bi) => h[lastReal(mask[bi])]);
  const wte = w(ws, 'transformer.wte.weight');
  const V = wte.length / H;
  const lm = sequence.map((h) =>
    h.map((x) => {
      const out: Vec = [];
      for (let v = 0; v < V; v++) {
        let s = 0;
        for (let c = 0; c < H; c++) s += x[c] * wte[v * H + c];
        out.push(s);
      }
      return out;
    }),
  );
  const score = ws.get('score.weight');
  const cls = score
    ? pooled.map((x) => {
        const n = score.shape[0];
        const out: Vec = [];
        for (let k = 0; k < n; k++) {
          let s = 0;
          for (let c = 0; c < H; c++) s += x[c] * (score.data as Float32Array)[k * H + c];
          out.push(s);
        }
        return out;
      })
    : [];
  return { sequence, pooled, lm, cls };
}

// ---- graph helpers --------------------------------------------------------------------------------------------

interface Built {
  graph: Graph;
  params: ParamSpec[];
  dropouts: GraphBuilder['dropouts'];
}

function buildAll(model: DecoderModel, batch: number | string, seq: number | string, numLabels: number, training = false): Built {
  const b = new GraphBuilder('gpt');
  const inputIds = b.input('input_ids', 'int32', [batch, seq]);
  const tokenTypeIds = b.input('token_type_ids', 'int32', [batch, seq]);
  const attentionMask = b.input('attention_mask', 'float32', [batch, seq]);
  const fo = { training };
  const out = model.forward(b, { inputIds, tokenTypeIds, attentionMask }, fo);
  b.output('sequence', out.sequence);
  b.output('pooled', out.pooled);
  b.output('lm', model.lmLogits(b, out.sequence, fo));
  b.output('cls', model.classifierLogits(b, out.pooled, numLabels, fo));
  return { graph: b.build(), params: [...b.params], dropouts: [...b.dropouts] };
}

function batchFeeds(ids: number[][], mask: number[][], types?: number[][]): Record<string, Tensor> {
  const B = ids.length;
  const S = ids[0].length;
  return {
    input_ids: tensor('int32', [B, S], ids.flat()),
    token_type_ids: tensor('int32', [B, S], (types ?? ids.map((r) => r.map(() => 0))).flat()),
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
  for (const k of ['sequence', 'pooled', 'lm', 'cls'] as const) {
    const d = maxDiff(outs[k], ref[k]);
    expect(d, `${k}: max abs diff ${d}`).toBeLessThan(tol);
  }
}

const TINY = { nEmbd: 16, nLayer: 2, nHead: 4, nInner: 24, nPositions: 12 };
const VOCAB = 23;

/** Random batch, right-padded (mask 0, id 0) to S. */
function randomBatch(B: number, S: number, lengths: number[], seed: number, vocab = VOCAB) {
  const u = mulberry32(seed);
  const ids: number[][] = [];
  const mask: number[][] = [];
  for (let b = 0; b < B; b++) {
    ids.push([]);
    mask.push([]);
    for (let s = 0; s < S; s++) {
      const real = s < lengths[b];
      ids[b].push(real ? 1 + Math.floor(u() * (vocab - 1)) : 0);
      mask[b].push(real ? 1 : 0);
    }
  }
  return { ids, mask };
}

const count = (params: readonly ParamSpec[], filter: (n: string) => boolean = () => true) =>
  params.filter((p) => filter(p.name)).reduce((s, p) => s + p.shape.reduce((a, d) => a * d, 1), 0);

// ---- tests ------------------------------------------------------------------------------------------------

describe('GPT-2 graph', () => {
  it('infers the shapes of every head, symbolic and static, and declares exactly the HF parameters', () => {
    const model = createGpt(TINY, { vocabSize: VOCAB });
    const sym = buildAll(model, 'batch', 'seq', 3);
    const shape = (g: Graph, n: string) => g.outputs.find((o) => o.name === n)?.shape;
    expect(shape(sym.graph, 'sequence')).toEqual(['batch', 'seq', 16]);
    expect(shape(sym.graph, 'pooled')).toEqual(['batch', 16]);
    expect(shape(sym.graph, 'lm')).toEqual(['batch', 'seq', VOCAB]);
    expect(shape(sym.graph, 'cls')).toEqual(['batch', 3]);
    const stat = buildAll(model, 2, 7, 3);
    expect(shape(stat.graph, 'sequence')).toEqual([2, 7, 16]);
    expect(shape(stat.graph, 'lm')).toEqual([2, 7, VOCAB]);
    for (const v of stat.graph.values.values()) expect(v.shape.every((d) => typeof d === 'number'), v.name).toBe(true);

    const o = resolveGptOptions(TINY);
    expect(new Map(sym.params.map((p) => [p.name, p.shape]))).toEqual(new Map([...gptParamShapes(o, VOCAB), ['score.weight', [3, 16]]]));
    // Tied LM head: wte is one parameter, read by the embedding Gather and the LM head's Gemm (transB).
    const readers = sym.graph.nodes.filter((n) => n.inputs.includes('transformer.wte.weight'));
    expect(readers.map((n) => n.op).sort()).toEqual(['Gather', 'Gemm']);
    expect(readers.find((n) => n.op === 'Gemm')?.attrs).toEqual({ transB: 1 });
    // Conv1D weights are [in, out]: one Gemm without transB, with the bias, no Transpose of any weight.
    const cAttn = sym.graph.nodes.find((n) => n.inputs.includes('transformer.h.0.attn.c_attn.weight'));
    expect(cAttn).toMatchObject({ op: 'Gemm', attrs: {} });
    expect(cAttn?.inputs[2]).toBe('transformer.h.0.attn.c_attn.bias');
    const weights = new Set(sym.params.map((p) => p.name));
    expect(sym.graph.nodes.filter((n) => n.op === 'Transpose' && weights.has(n.inputs[0]))).toEqual([]);
    // score is an nn.Linear [numLabels, H] without bias.
    expect(sym.graph.nodes.find((n) => n.inputs.includes('score.weight'))).toMatchObject({ op: 'Gemm', attrs: { transB: 1 } });
    // Init: normal(0.02), residual projections 0.02 / sqrt(2 nLayer), zero biases, unit LayerNorm scales.
    const init = new Map(sym.params.map((p) => [p.name, p.init]));
    expect(init.get('transformer.h.1.attn.c_attn.weight')).toEqual({ kind: 'normal', std: 0.02 });
    expect(init.get('transformer.h.1.mlp.c_fc.weight')).toEqual({ kind: 'normal', std: 0.02 });
    expect(init.get('transformer.h.1.attn.c_proj.weight')).toEqual({ kind: 'normal', std: 0.02 / Math.sqrt(4) });
    expect(init.get('transformer.h.0.mlp.c_proj.weight')).toEqual({ kind: 'normal', std: 0.02 / Math.sqrt(4) });
    expect(init.get('transformer.wpe.weight')).toEqual({ kind: 'normal', std: 0.02 });
    expect(init.get('transformer.h.0.mlp.c_proj.bias')).toEqual({ kind: 'zeros' });
    expect(init.get('transformer.ln_f.weight')).toEqual({ kind: 'ones' });
    // No weight decay on biases and LayerNorms.
    expect(sym.params.filter((p) => !p.decay).map((p) => p.name)).toEqual(sym.params.filter((p) => /bias$|ln_/.test(p.name)).map((p) => p.name));
    expect(sym.dropouts).toEqual([]);
  });

  it('declares one dropout mask per embedding/residual dropout site in training mode', () => {
    const model = createGpt({ ...TINY, embdDropout: 0.2 }, { vocabSize: VOCAB });
    const tr = buildAll(model, 'batch', 'seq', 3, true);
    // embeddings + 2 per layer (attention output, MLP output) on token rows [batch*seq, H]; no classifier dropout.
    expect(tr.dropouts.map((d) => d.shape)).toEqual(Array(1 + 2 * TINY.nLayer).fill(['batch*seq', 16]));
    expect(tr.dropouts.map((d) => d.rate)).toEqual([0.2, 0.1, 0.1, 0.1, 0.1]);
  });

  it('matches an independent float64 implementation (symbolic and static shapes, training with keep-all masks)', () => {
    const model = createGpt(TINY, { vocabSize: VOCAB });
    const o = resolveGptOptions(TINY);
    const sym = buildAll(model, 'batch', 'seq', 3);
    const weights = randomWeights(sym.params, 1);
    const { ids, mask } = randomBatch(2, 7, [7, 5], 2);
    const ref = referenceGpt(o, weights, ids, mask);
    expectClose(run(sym.graph, weights, batchFeeds(ids, mask)), ref);
    const stat = buildAll(model, 2, 7, 3);
    expectClose(run(stat.graph, weights, batchFeeds(ids, mask)), ref);
    const tr = buildAll(model, 2, 7, 3, true);
    const ones = Object.fromEntries(tr.dropouts.map((d) => [d.name, tensor('float32', d.shape as number[], new Float32Array((d.shape as number[]).reduce((s, x) => s * x, 1)).fill(1))]));
    expectClose(run(tr.graph, weights, batchFeeds(ids, mask), ones), ref);
  });

  it('adds token-type embeddings through wte only when tokenTypeEmbeddings is set', () => {
    const o = resolveGptOptions({ ...TINY, tokenTypeEmbeddings: true });
    const model = createGpt({ ...TINY, tokenTypeEmbeddings: true }, { vocabSize: VOCAB });
    const g = buildAll(model, 'batch', 'seq', 3);
    const weights = randomWeights(g.params, 11);
    const { ids, mask } = randomBatch(2, 6, [6, 4], 12);
    const types = ids.map((r) => r.map((_, s) => (s >= 3 ? 1 : 0)));
    expectClose(run(g.graph, weights, batchFeeds(ids, mask, types)), referenceGpt(o, weights, ids, mask, types));
    // Off (the default): token types are ignored.
    const plain = buildAll(createGpt(TINY, { vocabSize: VOCAB }), 'batch', 'seq', 3).graph;
    const a = run(plain, weights, batchFeeds(ids, mask, types));
    expect(maxDiff(a.sequence, referenceGpt(o, weights, ids, mask).sequence)).toBeLessThan(1e-4);
  });

  it('is causal: changing a later token never changes the outputs at earlier positions', () => {
    const model = createGpt(TINY, { vocabSize: VOCAB });
    const { graph, params } = buildAll(model, 'batch', 'seq', 3);
    const weights = randomWeights(params, 4);
    const { ids, mask } = randomBatch(1, 8, [8], 5);
    const base = run(graph, weights, batchFeeds(ids, mask));
    const H = 16;
    for (const t of [3, 7]) {
      const changed = ids.map((r) => [...r]);
      changed[0][t] = (changed[0][t] % (VOCAB - 1)) + 1;
      const out = run(graph, weights, batchFeeds(changed, mask));
      for (let s = 0; s < 8; s++) {
        let d = 0;
        for (let c = 0; c < H; c++) d = Math.max(d, Math.abs(f32(out.sequence)[s * H + c] - f32(base.sequence)[s * H + c]));
        if (s < t) expect(d, `position ${s} after changing ${t}`).toBe(0);
        else expect(d, `position ${s} after changing ${t}`).toBeGreaterThan(1e-3);
      }
    }
  });

  it('right padding leaves real positions unchanged and pools the last real token; left padding pools the last token too', () => {
    const model = createGpt(TINY, { vocabSize: VOCAB });
    const { graph, params } = buildAll(model, 'batch', 'seq', 3);
    const weights = randomWeights(params, 6);
    const H = 16;
    const short = randomBatch(2, 5, [5, 3], 7);
    // Pad to 9 with non-zero ids too: masked keys must not matter whatever they hold.
    const long = { ids: short.ids.map((r) => [...r, 5, 9, 2, 4]), mask: short.mask.map((r) => [...r, 0, 0, 0, 0]) };
    long.ids[1][3] = 17;
    long.ids[1][4] = 8;
    const a = run(graph, weights, batchFeeds(short.ids, short.mask));
    const b = run(graph, weights, batchFeeds(long.ids, long.mask));
    let d = 0;
    for (let bi = 0; bi < 2; bi++)
      for (let s = 0; s < 5; s++) {
        if (short.mask[bi][s] === 0) continue;
        for (let c = 0; c < H; c++) d = Math.max(d, Math.abs(f32(a.sequence)[(bi * 5 + s) * H + c] - f32(b.sequence)[(bi * 9 + s) * H + c]));
      }
    expect(d).toBeLessThan(1e-5);
    for (const k of ['pooled', 'cls']) for (let i = 0; i < a[k].data.length; i++) expect(Math.abs(f32(a[k])[i] - f32(b[k])[i])).toBeLessThan(1e-5);
    // pooled = the hidden state at index sum(mask) - 1: row 1 has 3 real tokens.
    for (let c = 0; c < H; c++) expect(f32(b.pooled)[H + c]).toBe(f32(b.sequence)[(9 + 2) * H + c]);
    // Left padding: the last token is pooled (positions are shifted, so its value differs from the unpadded row's).
    const left = { ids: [[0, 0, ...short.ids[0]]], mask: [[0, 0, 1, 1, 1, 1, 1]] };
    const l = run(graph, weights, batchFeeds(left.ids, left.mask));
    for (let c = 0; c < H; c++) expect(f32(l.pooled)[c]).toBe(f32(l.sequence)[6 * H + c]);
  });

  it('GPT-2 (124M) and GPT-2 medium have the published parameter counts', () => {
    const gpt2 = createGpt({ preset: 'gpt2' }, { vocabSize: 50257 });
    const { params } = buildAll(gpt2, 'batch', 'seq', 2);
    const [V, P, H, L] = [50257, 1024, 768, 12];
    const layer = 2 * H + (H * 3 * H + 3 * H) + (H * H + H) + 2 * H + (H * 4 * H + 4 * H) + (4 * H * H + H);
    expect(count(params, (n) => n.startsWith('transformer.'))).toBe(V * H + P * H + L * layer + 2 * H);
    // HF GPT2LMHeadModel.from_pretrained('gpt2').num_parameters() (lm_head is tied, so not counted again).
    expect(count(params, (n) => n.startsWith('transformer.'))).toBe(124_439_808);
    expect(count(params, (n) => n === 'score.weight')).toBe(2 * H);
    const medium = buildAll(createGpt({ preset: 'gpt2-medium' }, { vocabSize: 50257 }), 'batch', 'seq', 2).params;
    expect(count(medium, (n) => n.startsWith('transformer.'))).toBe(354_823_168);
    expect(gpt2.flopsPerToken(1024)).toBe(2 * L * (4 * H * H + 2 * H * 4 * H + 2 * 1024 * H));
  });

  it('validates options: attention dropout, presets, divisibility', () => {
    expect(() => createGpt({ attnDropout: 0.1 }, { vocabSize: 10 })).toThrow(/attnDropout 0.1 is not supported/);
    expect(() => resolveGptOptions({ nEmbd: 130, nHead: 4 })).toThrow(/not divisible/);
    expect(() => resolveGptOptions({ preset: 'gpt2', nEmbd: 512 })).toThrow(/contradicts preset "gpt2"/);
    expect(() => resolveGptOptions({ hidden: 12 } as never)).toThrow(/unknown option "hidden"/);
    expect(() => resolveGptOptions({ residDropout: 1 })).toThrow(/residDropout must be in \[0, 1\)/);
    expect(resolveGptOptions({ preset: 'gpt2' })).toMatchObject({ nEmbd: 768, nLayer: 12, nHead: 12, nInner: 3072, nPositions: 1024 });
    // Schema defaults filled in before create (as ajv's useDefaults does) do not fight the preset; nPositions may be cut.
    expect(resolveGptOptions({ preset: 'gpt2-medium', nEmbd: 128, nLayer: 2, nHead: 2, nPositions: 128 })).toMatchObject({ nEmbd: 1024, nLayer: 24, nHead: 16, nPositions: 128 });
    expect(resolveGptOptions({})).toEqual({
      nEmbd: 128,
      nLayer: 2,
      nHead: 2,
      nInner: 512,
      nPositions: 256,
      residDropout: 0.1,
      embdDropout: 0.1,
      attnDropout: 0,
      layerNormEps: 1e-5,
      initializerRange: 0.02,
      tokenTypeEmbeddings: false,
    });
    for (const [name, p] of Object.entries(GPT_PRESETS)) expect(resolveGptOptions({ preset: name as never })).toMatchObject(p);
    expect(() => buildAll(createGpt(TINY, { vocabSize: VOCAB }), 1, 13, 2)).toThrow(/sequence length 13 exceeds nPositions 12/);
    expect(plugin).toMatchObject({ kind: 'model', name: '@ssbench/model-gpt', architecture: 'decoder' });
    expect(plugin.version).toMatch(/^\d+\.\d+\.\d+/);
    expect((plugin.optionsSchema as { additionalProperties: boolean }).additionalProperties).toBe(false);
  });
});

// ---- generation with a KV cache -------------------------------------------------------------------------------

/** A BackendSession over the reference interpreter. */
const interpretSession: BackendSession = {
  version: 'interpret',
  device: 'cpu',
  async compile(g: Graph) {
    return {
      inputNames: g.inputs.map((i) => i.name),
      outputNames: g.outputs.map((o) => o.name),
      run: async (feeds: Readonly<Record<string, Tensor>>) => interpret(g, feeds),
      dispose: async () => {},
    };
  },
  async dispose() {},
};

/** Generation by re-running the full forward graph on the whole prefix every step (no cache). */
function generateUncached(model: DecoderModel, weights: Weights, prompt: number[], steps: number, opts: { temperature?: number; topK?: number; seed?: number }) {
  const b = new GraphBuilder('full');
  const inputIds = b.input('input_ids', 'int32', [1, 'seq']);
  const tokenTypeIds = b.input('token_type_ids', 'int32', [1, 'seq']);
  const attentionMask = b.input('attention_mask', 'float32', [1, 'seq']);
  const out = model.forward(b, { inputIds, tokenTypeIds, attentionMask }, { training: false });
  b.output('lm', model.lmLogits(b, out.sequence, { training: false }));
  const g = b.build();
  const rng = new Rng(opts.seed ?? 0);
  const ids = [...prompt];
  const logits: Float32Array[] = [];
  for (let k = 0; k < steps; k++) {
    const o = run(g, weights, batchFeeds([ids], [ids.map(() => 1)]));
    const V = o.lm.shape[2];
    const row = f32(o.lm).slice((ids.length - 1) * V, ids.length * V);
    logits.push(row);
    ids.push(pickToken(row, opts, rng));
  }
  return { tokens: ids.slice(prompt.length), logits };
}

describe('KV-cache generation', () => {
  const model = createGpt(TINY, { vocabSize: VOCAB });
  const params = buildAll(model, 'batch', 'seq', 2).params.filter((p) => p.name !== 'score.weight');
  const weights = randomWeights(params, 21);

  it('the decode step feeds one token and the cache, and grows the cache by one position', () => {
    const g = model.decodeGraph();
    const shape = (n: string) => [...g.inputs, ...g.outputs].find((v) => v.name === n)?.shape;
    expect(shape('input_ids')).toEqual(['batch', 1]);
    expect(shape('past_key_values.1.key')).toEqual(['batch', 4, 'past', 4]);
    expect(shape('present.1.value')).toEqual(['batch', 4, 'past+1', 4]);
    expect(shape('logits')).toEqual(['batch', VOCAB]);
    // The new token's query multiplies [batch, heads, 1, dh] by the cache: no product is [.., past, past].
    for (const n of g.nodes.filter((x) => x.op === 'MatMul')) expect(g.values.get(n.outputs[0])?.shape.slice(2, 3)).toEqual([1]);
    expect(model.prefillGraph().outputs.map((o) => o.name)).toEqual(['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);
  });

  it('gives exactly the tokens, and the logits to 1e-4, of re-running the full forward each step (greedy and sampled)', async () => {
    const prompt = [3, 7, 1, 12];
    for (const opts of [{ temperature: 0 }, { temperature: 0.8, topK: 5, seed: 3 }, { temperature: 1.5, seed: 9 }]) {
      const cached = await model.generate(interpretSession, weights, prompt, { maxNewTokens: 8, keepLogits: true, ...opts });
      const full = generateUncached(model, weights, prompt, 8, opts);
      expect(cached.tokens, JSON.stringify(opts)).toEqual(full.tokens);
      expect(cached.finish).toBe('length');
      expect(cached.logits).toHaveLength(8);
      for (let k = 0; k < 8; k++) {
        let d = 0;
        for (let v = 0; v < VOCAB; v++) d = Math.max(d, Math.abs(cached.logits[k][v] - full.logits[k][v]));
        expect(d, `step ${k}`).toBeLessThan(1e-4);
      }
    }
    // Sampling depends on the seed; greedy never calls the RNG.
    const a = await model.generate(interpretSession, weights, prompt, { maxNewTokens: 8, temperature: 2, seed: 1 });
    const b = await model.generate(interpretSession, weights, prompt, { maxNewTokens: 8, temperature: 2, seed: 2 });
    expect(a.tokens).not.toEqual(b.tokens);
  });

  it('stops at a stop token and checks its arguments', async () => {
    const greedy = await model.generate(interpretSession, weights, [3, 7], { maxNewTokens: 6 });
    const stop = greedy.tokens[2];
    const r = await model.generate(interpretSession, weights, [3, 7], { maxNewTokens: 6, stopTokenIds: [stop] });
    expect(r.tokens).toEqual(greedy.tokens.slice(0, greedy.tokens.indexOf(stop) + 1));
    expect(r.finish).toBe('stop');
    await expect(model.generate(interpretSession, weights, [1, 2, 3], { maxNewTokens: 11 })).rejects.toThrow(/exceeds nPositions 12/);
    await expect(model.generate(interpretSession, weights, [], { maxNewTokens: 1 })).rejects.toThrow(/prompt is empty/);
    await expect(model.generate(interpretSession, weights, [VOCAB], { maxNewTokens: 1 })).rejects.toThrow(/outside the vocabulary/);
    const partial = new Map(weights);
    partial.delete('transformer.h.1.mlp.c_fc.bias');
    await expect(model.generate(interpretSession, partial, [1], { maxNewTokens: 2 })).rejects.toThrow(/no weight "transformer.h.1.mlp.c_fc.bias"/);
  });

  it('pickToken: greedy takes the first maximum, top-k never leaves the k best', () => {
    expect(pickToken([0.1, 3, 3, -1], { temperature: 0 }, { next: () => 0.5 })).toBe(1);
    const rng = new Rng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(pickToken([5, 0, 4, 1, 4.5, -2], { temperature: 1, topK: 3 }, rng));
    expect([...seen].sort()).toEqual([0, 2, 4]);
  });
});

// ---- Hugging Face checkpoints ----------------------------------------------------------------------------------

describe('Hugging Face checkpoints', () => {
  let dir: string;
  const texts = [
    'The quick brown fox jumps over the lazy dog.',
    'A quick brown dog jumps over the lazy fox, and the fox runs away.',
    'Language models are unsupervised multitask learners.',
    'The dog and the fox are friends now; the quick one is the fox.',
  ];
  const tok = trainByteLevelBPE(texts, { vocabSize: 300 });
  const V = tok.vocabSize;
  const hfConfig = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: V,
    n_positions: 12,
    n_ctx: 12,
    n_embd: 16,
    n_layer: 2,
    n_head: 4,
    n_inner: 24,
    activation_function: 'gelu_new',
    resid_pdrop: 0.1,
    embd_pdrop: 0.1,
    attn_pdrop: 0.1,
    layer_norm_epsilon: 1e-5,
    initializer_range: 0.02,
    summary_type: 'cls_index',
    scale_attn_weights: true,
    use_cache: true,
    bos_token_id: 0,
    eos_token_id: 0,
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssbench-gpt-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes an HF GPT2Model-style directory: no "transformer." prefix, causal-mask buffers, tokenizer files. */
  async function writeHfDir(sub: string, weights: Weights, mutate?: (t: Map<string, Tensor>) => void): Promise<string> {
    const d = join(dir, sub);
    await mkdir(d, { recursive: true });
    const named = new Map<string, Tensor>();
    for (const [n, t] of weights) named.set(n.replace(/^transformer\./, ''), t);
    const tril = new Float32Array(144);
    for (let i = 0; i < 12; i++) for (let j = 0; j <= i; j++) tril[i * 12 + j] = 1;
    for (let l = 0; l < 2; l++) {
      named.set(`h.${l}.attn.bias`, tensor('float32', [1, 1, 12, 12], tril));
      named.set(`h.${l}.attn.masked_bias`, tensor('float32', [], [-1e4]));
    }
    mutate?.(named);
    const { vocabJson, mergesTxt } = tok.toStrings();
    await writeFile(join(d, 'config.json'), JSON.stringify(hfConfig));
    await writeFile(join(d, 'model.safetensors'), writeSafetensors(named, { format: 'pt' }));
    await writeFile(join(d, 'vocab.json'), vocabJson);
    await writeFile(join(d, 'merges.txt'), mergesTxt);
    return d;
  }

  it('loads an HF-layout checkpoint and gives the logits the independent computation implies', async () => {
    const model = createGpt(TINY, { vocabSize: V });
    const params = buildAll(model, 'batch', 'seq', 3).params;
    const weights = randomWeights(params, 31);
    const d = await writeHfDir('ok', weights);
    const ck = await loadHfGpt2Checkpoint(d);
    const o = resolveGptOptions(TINY);
    expect(ck.config).toEqual(o);
    expect(ck.vocabSize).toBe(V);
    expect(ck.notes.some((n) => n.includes('attn_pdrop'))).toBe(true);
    expect(ck.notes.some((n) => n.includes('4 attention-mask buffers'))).toBe(true);
    expect([...ck.weights.keys()].sort()).toEqual([...weights.keys()].sort());
    // The tokenizer is the one the files describe.
    const text = 'the lazy fox jumps';
    expect(ck.tokenizer.encode(text).ids).toEqual(tok.encode(text).ids);
    expect(ck.tokenizer.decode(ck.tokenizer.encode(text).ids)).toBe(text);

    const loaded = createGpt(ck.config, { vocabSize: ck.vocabSize });
    const g = buildAll(loaded, 'batch', 'seq', 3).graph;
    const ids = [tok.encode('The quick fox').ids.concat(0).slice(0, 6), tok.encode('lazy dogs run').ids.slice(0, 6)];
    const S = Math.max(...ids.map((r) => r.length));
    const mask = ids.map((r) => [...r.map(() => 1), ...Array(S - r.length).fill(0)]);
    const padded = ids.map((r) => [...r, ...Array(S - r.length).fill(0)]);
    expectClose(run(g, ck.weights, batchFeeds(padded, mask)), referenceGpt(o, weights, padded, mask));

    // Round trip through our writer: HF keys in config.json, GPT2LMHeadModel names, tokenizer files.
    const out = join(dir, 'saved');
    await saveHfGpt2Checkpoint(out, ck.config, ck.weights, ck.tokenizer);
    const cfg = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ architectures: ['GPT2LMHeadModel'], n_embd: 16, n_layer: 2, n_head: 4, n_inner: 24, n_positions: 12, vocab_size: V, activation_function: 'gelu_new', eos_token_id: 0 });
    const again = await loadHfGpt2Checkpoint(out);
    expect(again.config).toEqual(ck.config);
    for (const [n, t] of ck.weights) expect(again.weights.get(n)?.data, n).toEqual(t.data);
    expect(again.tokenizer.toStrings()).toEqual(tok.toStrings());
  });

  it('accepts the transformer. prefix with a tied lm_head copy, and rejects an untied one', async () => {
    const params = buildAll(createGpt(TINY, { vocabSize: V }), 'batch', 'seq', 3).params.filter((p) => p.name !== 'score.weight');
    const weights = randomWeights(params, 32);
    const wte = weights.get('transformer.wte.weight') as Tensor;
    const prefixed = await writeHfDir('prefixed', weights, (t) => {
      for (const [n, v] of [...t]) if (!n.includes('attn.bias') && !n.includes('masked_bias')) {
        t.delete(n);
        t.set(`transformer.${n}`, v);
      }
      t.set('lm_head.weight', wte);
    });
    const ck = await loadHfGpt2Checkpoint(prefixed);
    expect(ck.notes.some((n) => n.includes('lm_head.weight ignored'))).toBe(true);
    expect([...ck.weights.keys()].sort()).toEqual([...weights.keys()].sort());
    const untied = await writeHfDir('untied', weights, (t) => t.set('lm_head.weight', tensor('float32', wte.shape, new Float32Array(wte.data.length))));
    await expect(loadHfGpt2Checkpoint(untied)).rejects.toThrow(/untied\/model\.safetensors: lm_head\.weight differs/);
  });

  it('names the file and the tensor when a checkpoint is incomplete, mis-shaped or unsupported', async () => {
    const params = buildAll(createGpt(TINY, { vocabSize: V }), 'batch', 'seq', 3).params;
    const weights = randomWeights(params, 33);
    const missing = await writeHfDir('missing', weights, (t) => t.delete('h.1.mlp.c_fc.bias'));
    await expect(loadHfGpt2Checkpoint(missing)).rejects.toThrow(/missing\/model\.safetensors: missing tensor transformer\.h\.1\.mlp\.c_fc\.bias/);
    const linear = await writeHfDir('linear', weights, (t) => t.set('h.0.attn.c_attn.weight', tensor('float32', [48, 16])));
    await expect(loadHfGpt2Checkpoint(linear)).rejects.toThrow(/linear\/model\.safetensors: tensor h\.0\.attn\.c_attn\.weight has shape \[48, 16\], expected \[16, 48\].*Conv1D/);
    const act = await writeHfDir('act', weights);
    await writeFile(join(act, 'config.json'), JSON.stringify({ ...hfConfig, activation_function: 'relu' }));
    await expect(loadHfGpt2Checkpoint(act)).rejects.toThrow(/act\/config\.json: "activation_function" is "relu"/);
    const scaled = await writeHfDir('scaled', weights);
    await writeFile(join(scaled, 'config.json'), JSON.stringify({ ...hfConfig, scale_attn_by_inverse_layer_idx: true }));
    await expect(loadHfGpt2Checkpoint(scaled)).rejects.toThrow(/scaled\/config\.json: "scale_attn_by_inverse_layer_idx" is true/);
    const noMerges = await writeHfDir('nomerges', weights);
    await rm(join(noMerges, 'merges.txt'));
    await expect(loadHfGpt2Checkpoint(noMerges)).rejects.toThrow(/nomerges\/merges\.txt/);
    await expect(loadHfGpt2Checkpoint(join(dir, 'nowhere'))).rejects.toThrow(/nowhere\/config\.json: cannot read \(ENOENT\)/);
    await expect(saveHfGpt2Checkpoint(join(dir, 'bad'), resolveGptOptions(TINY), new Map(), tok)).rejects.toThrow(/missing tensor transformer\.wte\.weight/);
  });
});
