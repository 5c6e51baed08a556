import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EncoderDecoderModel } from '@ssbench/core';
import { type Graph, GraphBuilder, type ParamSpec, type Tensor, interpret, tensor, writeSafetensors } from '@ssbench/graph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, {
  type BartOptions,
  bartParamShapes,
  createBart,
  decoderStepGraph,
  encoderGraph,
  greedyGenerate,
  loadHfCheckpoint,
  resolveBartOptions,
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

/** Random weights for every declared parameter: large enough that a wrong wiring shows (not BART's 0.02). */
function randomWeights(params: readonly { name: string; shape: readonly number[] }[], seed: number): Map<string, Tensor> {
  const n = normalGen(seed);
  const out = new Map<string, Tensor>();
  for (const p of params) {
    const size = p.shape.reduce((s, d) => s * d, 1);
    const data = new Float32Array(size);
    const isLnWeight = /(layer_norm|layernorm_embedding)\.weight$/.test(p.name);
    const isBias = /bias$/.test(p.name);
    for (let i = 0; i < size; i++) data[i] = isLnWeight ? 1 + 0.2 * n() : isBias ? 0.2 * n() : 0.4 * n();
    out.set(p.name, tensor('float32', p.shape, data));
  }
  return out;
}

// ---- an independent BART in plain loops, float64 (HF modeling_bart semantics) -------------------------------

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

/** BartAttention: q scaled by head_dim^-0.5; `allowed(i, j)` says whether query i may see key j. */
function refAttention(ws: Weights, p: string, xs: Vec[], kvs: Vec[], nh: number, allowed: (i: number, j: number) => boolean): Vec[] {
  const H = xs[0].length;
  const dh = H / nh;
  const lin = (x: Vec, n: string) => dense(x, w(ws, `${p}.${n}.weight`), w(ws, `${p}.${n}.bias`));
  const q = xs.map((x) => lin(x, 'q_proj').map((v) => v * dh ** -0.5));
  const k = kvs.map((x) => lin(x, 'k_proj'));
  const v = kvs.map((x) => lin(x, 'v_proj'));
  const ctx: Vec[] = xs.map(() => new Array(H).fill(0));
  for (let h = 0; h < nh; h++)
    for (let i = 0; i < xs.length; i++) {
      const js = kvs.map((_, j) => j).filter((j) => allowed(i, j));
      const scores = js.map((j) => {
        let d = 0;
        for (let c = 0; c < dh; c++) d += q[i][h * dh + c] * k[j][h * dh + c];
        return d;
      });
      const m = Math.max(...scores);
      const ex = scores.map((s) => Math.exp(s - m));
      const z = ex.reduce((a, e) => a + e, 0);
      js.forEach((j, n) => {
        for (let c = 0; c < dh; c++) ctx[i][h * dh + c] += (ex[n] / z) * v[j][h * dh + c];
      });
    }
  return ctx.map((c) => lin(c, 'out_proj'));
}

interface RefOut {
  memory: Vec[][];
  pooled: Vec[];
  sequence: Vec[][];
  logits: Vec[][];
}

function referenceBart(o: BartOptions, ws: Weights, src: number[][], srcMask: number[][], tgt: number[][], tgtMask: number[][]): RefOut {
  const H = o.dModel;
  const eps = o.layerNormEps;
  const scale = o.scaleEmbedding ? Math.sqrt(H) : 1;
  const row = (name: string, r: number): Vec => Array.from(w(ws, name).subarray(r * H, (r + 1) * H));
  const ln = (x: Vec, n: string) => layerNorm(x, w(ws, `${n}.weight`), w(ws, `${n}.bias`), eps);
  const ffn = (x: Vec, p: string) => {
    const inner = dense(x, w(ws, `${p}.fc1.weight`), w(ws, `${p}.fc1.bias`)).map(gelu);
    return dense(inner, w(ws, `${p}.fc2.weight`), w(ws, `${p}.fc2.bias`));
  };
  const embed = (side: string, ids: number[]) =>
    ids.map((id, s) => {
      const t = row('model.shared.weight', id).map((v) => v * scale);
      const pe = row(`model.${side}.embed_positions.weight`, s + 2);
      return ln(
        t.map((v, i) => v + pe[i]),
        `model.${side}.layernorm_embedding`,
      );
    });
  const add = (a: Vec, b: Vec) => a.map((v, i) => v + b[i]);
  const memory: Vec[][] = [];
  const pooled: Vec[] = [];
  const sequence: Vec[][] = [];
  const logits: Vec[][] = [];
  for (let bi = 0; bi < src.length; bi++) {
    let h = embed('encoder', src[bi]);
    for (let l = 0; l < o.encoderLayers; l++) {
      const p = `model.encoder.layers.${l}`;
      const attn = refAttention(ws, `${p}.self_attn`, h, h, o.heads, (_i, j) => srcMask[bi][j] === 1);
      const a = h.map((x, i) => ln(add(x, attn[i]), `${p}.self_attn_layer_norm`));
      h = a.map((x) => ln(add(x, ffn(x, p)), `${p}.final_layer_norm`));
    }
    memory.push(h);
    const real = h.filter((_, s) => srcMask[bi][s] === 1);
    pooled.push(new Array(H).fill(0).map((_, c) => real.reduce((s, x) => s + x[c], 0) / real.length));
    let d = embed('decoder', tgt[bi]);
    for (let l = 0; l < o.decoderLayers; l++) {
      const p = `model.decoder.layers.${l}`;
      const sa = refAttention(ws, `${p}.self_attn`, d, d, o.heads, (i, j) => j <= i && tgtMask[bi][j] === 1);
      const a = d.map((x, i) => ln(add(x, sa[i]), `${p}.self_attn_layer_norm`));
      const ca = refAttention(ws, `${p}.encoder_attn`, a, h, o.heads, (_i, j) => srcMask[bi][j] === 1);
      const c = a.map((x, i) => ln(add(x, ca[i]), `${p}.encoder_attn_layer_norm`));
      d = c.map((x) => ln(add(x, ffn(x, p)), `${p}.final_layer_norm`));
    }
    sequence.push(d);
    const shared = w(ws, 'model.shared.weight');
    const fb = w(ws, 'final_logits_bias');
    const V = shared.length / H;
    logits.push(
      d.map((x) => {
        const out: Vec = [];
        for (let v = 0; v < V; v++) {
          let s = fb[v];
          for (let c = 0; c < H; c++) s += x[c] * shared[v * H + c];
          out.push(s);
        }
        return out;
      }),
    );
  }
  return { memory, pooled, sequence, logits };
}

// ---- graph helpers --------------------------------------------------------------------------------------------

interface Built {
  graph: Graph;
  params: ParamSpec[];
  dropouts: GraphBuilder['dropouts'];
}

type D = number | string;

function buildAll(model: EncoderDecoderModel, dims: { batch: D; src: D; tgt: D }, training = false, numLabels = 0): Built {
  const b = new GraphBuilder('bart');
  const inputIds = b.input('input_ids', 'int32', [dims.batch, dims.src]);
  const attentionMask = b.input('attention_mask', 'float32', [dims.batch, dims.src]);
  const decoderInputIds = b.input('decoder_input_ids', 'int32', [dims.batch, dims.tgt]);
  const decoderAttentionMask = b.input('decoder_attention_mask', 'float32', [dims.batch, dims.tgt]);
  const fo = { training };
  const enc = model.encode(b, { inputIds, attentionMask }, fo);
  const dec = model.decode(b, { decoderInputIds, decoderAttentionMask, memory: enc.memory, memoryMask: attentionMask }, fo);
  b.output('memory', enc.memory);
  b.output('pooled', enc.pooled);
  b.output('sequence', dec.sequence);
  b.output('logits', model.lmLogits(b, b.reshape(dec.sequence, [-1, model.hidden]), fo));
  if (numLabels > 0) b.output('cls', model.classifierLogits(b, enc.pooled, numLabels, fo));
  return { graph: b.build(), params: [...b.params], dropouts: [...b.dropouts] };
}

interface Batch {
  src: number[][];
  srcMask: number[][];
  tgt: number[][];
  tgtMask: number[][];
}

function feeds(x: Batch): Record<string, Tensor> {
  const B = x.src.length;
  return {
    input_ids: tensor('int32', [B, x.src[0].length], x.src.flat()),
    attention_mask: tensor('float32', [B, x.src[0].length], x.srcMask.flat()),
    decoder_input_ids: tensor('int32', [B, x.tgt[0].length], x.tgt.flat()),
    decoder_attention_mask: tensor('float32', [B, x.tgt[0].length], x.tgtMask.flat()),
  };
}

function run(g: Graph, weights: Weights, f: Record<string, Tensor>, extra: Record<string, Tensor> = {}): Record<string, Tensor> {
  const inputs = new Set(g.inputs.map((i) => i.name));
  const ws = Object.fromEntries([...weights].filter(([n]) => inputs.has(n)));
  return interpret(g, { ...ws, ...f, ...extra });
}

function maxDiff(t: Tensor, ref: unknown): number {
  const flat = (ref as unknown[]).flat(3) as number[];
  expect(t.data.length).toBe(flat.length);
  let m = 0;
  for (let i = 0; i < flat.length; i++) m = Math.max(m, Math.abs(Number(t.data[i]) - flat[i]));
  return m;
}

const TINY = { dModel: 16, encoderLayers: 2, decoderLayers: 2, heads: 4, ffnDim: 24, maxPositions: 12 };
const VOCAB = 23;

function randomBatch(B: number, S: number, T: number, srcLens: number[], tgtLens: number[], seed: number): Batch {
  const u = mulberry32(seed);
  const rows = (L: number, lens: number[]) =>
    lens.map((n) => Array.from({ length: L }, (_, s) => (s < n ? 3 + Math.floor(u() * (VOCAB - 3)) : 1)));
  const masks = (L: number, lens: number[]) => lens.map((n) => Array.from({ length: L }, (_, s) => (s < n ? 1 : 0)));
  return { src: rows(S, srcLens.slice(0, B)), srcMask: masks(S, srcLens), tgt: rows(T, tgtLens.slice(0, B)), tgtMask: masks(T, tgtLens) };
}

const f32 = (t: Tensor) => t.data as Float32Array;

// ---- tests ------------------------------------------------------------------------------------------------

describe('BART graph', () => {
  it('infers the shapes of every output, symbolic and static', () => {
    const model = createBart(TINY, { vocabSize: VOCAB });
    const sym = buildAll(model, { batch: 'batch', src: 'src', tgt: 'tgt' }, false, 3);
    const shape = (g: Graph, n: string) => g.outputs.find((o) => o.name === n)?.shape;
    expect(shape(sym.graph, 'memory')).toEqual(['batch', 'src', 16]);
    expect(shape(sym.graph, 'pooled')).toEqual(['batch', 16]);
    expect(shape(sym.graph, 'sequence')).toEqual(['batch', 'tgt', 16]);
    expect(shape(sym.graph, 'logits')).toEqual(['batch*tgt', VOCAB]);
    expect(shape(sym.graph, 'cls')).toEqual(['batch', 3]);
    const stat = buildAll(model, { batch: 2, src: 7, tgt: 5 }, false, 3);
    expect(shape(stat.graph, 'memory')).toEqual([2, 7, 16]);
    expect(shape(stat.graph, 'sequence')).toEqual([2, 5, 16]);
    expect(shape(stat.graph, 'logits')).toEqual([10, VOCAB]);
    for (const v of stat.graph.values.values()) expect(v.shape.every((d) => typeof d === 'number'), v.name).toBe(true);
    // The encoder contract: forward = encode (sequence = memory).
    const b = new GraphBuilder('fwd');
    const out = model.forward(
      b,
      { inputIds: b.input('input_ids', 'int32', ['batch', 'seq']), tokenTypeIds: b.input('token_type_ids', 'int32', ['batch', 'seq']), attentionMask: b.input('attention_mask', 'float32', ['batch', 'seq']) },
      { training: false },
    );
    expect(out.sequence.shape).toEqual(['batch', 'seq', 16]);
    expect(out.pooled.shape).toEqual(['batch', 16]);
    expect(() => buildAll(model, { batch: 1, src: 13, tgt: 2 })).toThrow(/sequence length 13 exceeds maxPositions 12/);
  });

  it("declares exactly Hugging Face BartForConditionalGeneration's parameters (names, shapes, inits), tied LM head", () => {
    const cfg = { dModel: 8, encoderLayers: 1, decoderLayers: 1, heads: 2, ffnDim: 12, maxPositions: 6 };
    const model = createBart(cfg, { vocabSize: 11 });
    const { params, graph } = buildAll(model, { batch: 'batch', src: 'src', tgt: 'tgt' });
    // `BartForConditionalGeneration(BartConfig(vocab_size=11, d_model=8, encoder_layers=1, decoder_layers=1,
    // encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=12, decoder_ffn_dim=12,
    // max_position_embeddings=6)).state_dict()`, written out by hand, without the tied aliases
    // model.encoder.embed_tokens.weight, model.decoder.embed_tokens.weight and lm_head.weight.
    const attn = (p: string) => ['k_proj', 'v_proj', 'q_proj', 'out_proj'].flatMap((n) => [[`${p}.${n}.weight`, [8, 8]], [`${p}.${n}.bias`, [8]]]);
    const ln = (p: string) => [[`${p}.weight`, [8]], [`${p}.bias`, [8]]];
    const ffn = (p: string) => [[`${p}.fc1.weight`, [12, 8]], [`${p}.fc1.bias`, [12]], [`${p}.fc2.weight`, [8, 12]], [`${p}.fc2.bias`, [8]]];
    const hf = [
      ['model.shared.weight', [11, 8]],
      ['model.encoder.embed_positions.weight', [8, 8]],
      ...attn('model.encoder.layers.0.self_attn'),
      ...ln('model.encoder.layers.0.self_attn_layer_norm'),
      ...ffn('model.encoder.layers.0'),
      ...ln('model.encoder.layers.0.final_layer_norm'),
      ...ln('model.encoder.layernorm_embedding'),
      ['model.decoder.embed_positions.weight', [8, 8]],
      ...attn('model.decoder.layers.0.self_attn'),
      ...ln('model.decoder.layers.0.self_attn_layer_norm'),
      ...attn('model.decoder.layers.0.encoder_attn'),
      ...ln('model.decoder.layers.0.encoder_attn_layer_norm'),
      ...ffn('model.decoder.layers.0'),
      ...ln('model.decoder.layers.0.final_layer_norm'),
      ...ln('model.decoder.layernorm_embedding'),
      ['final_logits_bias', [1, 11]],
    ] as [string, number[]][];
    expect(params.map((p) => [p.name, p.shape])).toEqual(hf);
    expect([...bartParamShapes(resolveBartOptions(cfg), 11)]).toEqual(hf);
    // Tied: model.shared.weight is read by the two embedding Gathers and the LM head's Gemm.
    expect(graph.nodes.filter((n) => n.inputs.includes('model.shared.weight')).map((n) => n.op).sort()).toEqual(['Gather', 'Gather', 'Gemm']);
    const head = graph.nodes.find((n) => n.op === 'Gemm' && n.inputs.includes('model.shared.weight'));
    expect(head?.inputs[2]).toBe('final_logits_bias');
    expect(head?.attrs.transB).toBe(1);
    const q = graph.nodes.find((n) => n.inputs.includes('model.decoder.layers.0.encoder_attn.q_proj.weight'));
    expect(q).toMatchObject({ op: 'Gemm', attrs: { transB: 1 } });
    const names = new Set(params.map((p) => p.name));
    expect(graph.nodes.filter((n) => n.op === 'Transpose' && names.has(n.inputs[0]))).toEqual([]);
    const init = new Map(params.map((p) => [p.name, p]));
    expect(init.get('model.shared.weight')).toMatchObject({ init: { kind: 'normal', std: 0.02 }, decay: true });
    expect(init.get('model.decoder.layers.0.fc1.bias')).toMatchObject({ init: { kind: 'zeros' }, decay: false });
    expect(init.get('model.encoder.layernorm_embedding.weight')).toMatchObject({ init: { kind: 'ones' }, decay: false });
    expect(init.get('model.decoder.layers.0.encoder_attn_layer_norm.weight')).toMatchObject({ init: { kind: 'ones' }, decay: false });
    expect(init.get('final_logits_bias')).toMatchObject({ init: { kind: 'zeros' }, decay: false });
  });

  it('matches an independent float64 BART (symbolic and static shapes, padding in source and target, keep-all dropout)', () => {
    const model = createBart(TINY, { vocabSize: VOCAB });
    const o = resolveBartOptions(TINY);
    const sym = buildAll(model, { batch: 'batch', src: 'src', tgt: 'tgt' });
    const weights = randomWeights(sym.params, 1);
    const x = randomBatch(2, 7, 5, [7, 4], [5, 3], 2);
    const ref = referenceBart(o, weights, x.src, x.srcMask, x.tgt, x.tgtMask);
    const check = (outs: Record<string, Tensor>) => {
      for (const k of ['memory', 'pooled', 'sequence', 'logits'] as const) {
        const d = maxDiff(outs[k], ref[k]);
        expect(d, `${k}: max abs diff ${d}`).toBeLessThan(1e-4);
      }
    };
    check(run(sym.graph, weights, feeds(x)));
    check(run(buildAll(model, { batch: 2, src: 7, tgt: 5 }).graph, weights, feeds(x)));
    const tr = buildAll(model, { batch: 2, src: 7, tgt: 5 }, true);
    // Dropout sites: embeddings, attention output(s) and FFN output per layer, on token rows.
    expect(tr.dropouts.map((d) => d.shape)).toEqual([[14, 16], ...Array(4).fill([14, 16]), [10, 16], ...Array(6).fill([10, 16])]);
    const ones = Object.fromEntries(tr.dropouts.map((d) => [d.name, tensor('float32', d.shape as number[], new Float32Array((d.shape as number[]).reduce((s, n) => s * n, 1)).fill(1))]));
    check(run(tr.graph, weights, feeds(x), ones));
    // scale_embedding (mBART/Marian) multiplies the token embeddings by sqrt(d_model).
    const scaled = createBart({ ...TINY, scaleEmbedding: true }, { vocabSize: VOCAB });
    const refScaled = referenceBart(resolveBartOptions({ ...TINY, scaleEmbedding: true }), weights, x.src, x.srcMask, x.tgt, x.tgtMask);
    const outScaled = run(buildAll(scaled, { batch: 'batch', src: 'src', tgt: 'tgt' }).graph, weights, feeds(x));
    expect(maxDiff(outScaled.logits, refScaled.logits)).toBeLessThan(1e-4);
    expect(maxDiff(outScaled.logits, ref.logits)).toBeGreaterThan(1e-2);
  });

  it('decoder is causal: position i does not change when decoder inputs after i change', () => {
    const model = createBart(TINY, { vocabSize: VOCAB });
    const { graph, params } = buildAll(model, { batch: 'batch', src: 'src', tgt: 'tgt' });
    const weights = randomWeights(params, 3);
    const x = randomBatch(1, 6, 6, [6], [6], 4);
    const a = run(graph, weights, feeds(x));
    const H = 16;
    for (const cut of [1, 3, 5]) {
      const y = structuredClone(x);
      for (let s = cut; s < 6; s++) y.tgt[0][s] = 3 + ((y.tgt[0][s] + 5) % (VOCAB - 3));
      const b = run(graph, weights, feeds(y));
      let before = 0;
      let after = 0;
      for (let s = 0; s < 6; s++)
        for (let c = 0; c < H; c++) {
          const d = Math.abs(f32(a.sequence)[s * H + c] - f32(b.sequence)[s * H + c]);
          if (s < cut) before = Math.max(before, d);
          else after = Math.max(after, d);
        }
      expect(before, `positions < ${cut}`).toBe(0);
      expect(after, `positions >= ${cut}`).toBeGreaterThan(1e-3);
    }
    // Changing the source changes every decoder position (cross-attention sees the whole memory).
    const z = structuredClone(x);
    z.src[0][5] = 3 + ((z.src[0][5] + 7) % (VOCAB - 3));
    const c = run(graph, weights, feeds(z));
    for (let s = 0; s < 6; s++) expect(Math.abs(f32(a.sequence)[s * H] - f32(c.sequence)[s * H]) + Math.abs(f32(a.sequence)[s * H + 1] - f32(c.sequence)[s * H + 1])).toBeGreaterThan(1e-6);
  });

  it('masks memory padding: padded source positions, whatever they hold, never reach the decoder or pooled', () => {
    const model = createBart(TINY, { vocabSize: VOCAB });
    const { graph, params } = buildAll(model, { batch: 'batch', src: 'src', tgt: 'tgt' });
    const weights = randomWeights(params, 5);
    const short = randomBatch(2, 4, 5, [4, 3], [5, 5], 6);
    const long = structuredClone(short);
    long.src = long.src.map((r, i) => [...r, 7 + i, 9, 11 + i]);
    long.srcMask = long.srcMask.map((r) => [...r, 0, 0, 0]);
    long.src[1][3] = 13; // the padding slot inside row 1 too
    const a = run(graph, weights, feeds(short));
    const b = run(graph, weights, feeds(long));
    for (const k of ['sequence', 'logits', 'pooled']) {
      let d = 0;
      for (let i = 0; i < a[k].data.length; i++) d = Math.max(d, Math.abs(f32(a[k])[i] - f32(b[k])[i]));
      expect(d, k).toBeLessThan(1e-5);
    }
    // And the mask matters: with every source position marked real, the decoder output differs.
    const unmasked = run(graph, weights, feeds({ ...long, srcMask: long.srcMask.map((r) => r.map(() => 1)) }));
    expect(Math.abs(f32(unmasked.sequence)[0] - f32(a.sequence)[0])).toBeGreaterThan(1e-4);
  });

  it('greedy generation: each generated token is the argmax of the teacher-forced logits of its prefix', async () => {
    const model = createBart(TINY, { vocabSize: VOCAB });
    const { graph, params } = buildAll(model, { batch: 'batch', src: 'src', tgt: 'tgt' });
    const weights = randomWeights(params, 7);
    const session = { compile: async (g: Graph) => ({ run: async (f: Readonly<Record<string, Tensor>>) => interpret(g, f), dispose: async () => {} }) };
    const sources = [
      [0, 5, 6, 7, 8, 2],
      [0, 9, 10, 2],
    ];
    const eos = 2;
    const res = await greedyGenerate(model, session, weights, sources, { maxNewTokens: 6, decoderStartId: eos, eosId: eos, padId: 1 });
    expect(res.tokens.length).toBe(2);
    for (let r = 0; r < 2; r++) {
      const gen = res.tokens[r];
      expect(gen.length).toBeGreaterThan(0);
      expect(res.finish[r] === 'stop' ? gen[gen.length - 1] === eos : gen.length === 6).toBe(true);
      const dec = [eos, ...gen.slice(0, -1)];
      const x: Batch = { src: [sources[r]], srcMask: [sources[r].map(() => 1)], tgt: [dec], tgtMask: [dec.map(() => 1)] };
      const out = run(graph, weights, feeds(x));
      const L = f32(out.logits);
      dec.forEach((_, s) => {
        let best = 0;
        for (let v = 1; v < VOCAB; v++) if (L[s * VOCAB + v] > L[s * VOCAB + best]) best = v;
        expect(best, `row ${r} step ${s}`).toBe(gen[s]);
      });
    }
    expect(encoderGraph(model).outputs.map((o) => o.shape)).toEqual([['batch', 'src', 16]]);
    expect(decoderStepGraph(model).outputs.map((o) => o.shape)).toEqual([['batch', VOCAB]]);
    await expect(greedyGenerate(model, session, new Map(), sources, { maxNewTokens: 2, decoderStartId: 2, eosId: 2, padId: 1 })).rejects.toThrow(/missing weight model\.shared\.weight/);
  });

  it('validates options and counts FLOPs', () => {
    expect(() => createBart({ attentionDropout: 0.1 }, { vocabSize: 10 })).toThrow(/attentionDropout 0.1 is not supported/);
    expect(() => resolveBartOptions({ dModel: 130, heads: 4 })).toThrow(/dModel 130 is not divisible by heads 4/);
    expect(() => resolveBartOptions({ hidden: 12 } as never)).toThrow(/unknown option "hidden"/);
    expect(() => resolveBartOptions({ dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(resolveBartOptions({})).toEqual({
      dModel: 128,
      encoderLayers: 2,
      decoderLayers: 2,
      heads: 2,
      ffnDim: 512,
      maxPositions: 256,
      dropout: 0.1,
      attentionDropout: 0,
      activationDropout: 0,
      classifierDropout: 0,
      initStd: 0.02,
      layerNormEps: 1e-5,
      scaleEmbedding: false,
    });
    expect(plugin).toMatchObject({ kind: 'model', name: '@ssbench/model-seq2seq', architecture: 'encoder-decoder' });
    expect((plugin.optionsSchema as { additionalProperties: boolean }).additionalProperties).toBe(false);
    const m = createBart({}, { vocabSize: 100 });
    const [H, F] = [128, 512];
    expect(m.flopsPerToken(64)).toBe(2 * (2 * (4 * H * H + 2 * H * F + 2 * 64 * H) + 2 * (8 * H * H + 2 * H * F + 4 * 64 * H)));
    expect(() => m.classifierLogits(new GraphBuilder('x'), null as never, 0, { training: false })).toThrow(/numLabels must be a positive integer/);
  });
});

describe('Hugging Face BART checkpoints', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssbench-bart-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const hfConfig = {
    architectures: ['BartForConditionalGeneration'],
    model_type: 'bart',
    vocab_size: VOCAB,
    d_model: 16,
    encoder_layers: 2,
    decoder_layers: 2,
    encoder_attention_heads: 4,
    decoder_attention_heads: 4,
    encoder_ffn_dim: 24,
    decoder_ffn_dim: 24,
    max_position_embeddings: 12,
    activation_function: 'gelu',
    dropout: 0.1,
    attention_dropout: 0.1,
    activation_dropout: 0,
    init_std: 0.02,
    scale_embedding: false,
    pad_token_id: 1,
    bos_token_id: 0,
    eos_token_id: 2,
    decoder_start_token_id: 2,
  };

  /** An HF-style directory: the shared embedding only under its tied aliases (as save_pretrained may keep them). */
  async function writeHfDir(sub: string, weights: Weights, mutate?: (t: Map<string, Tensor>) => void, config: object = hfConfig): Promise<string> {
    const d = join(dir, sub);
    await mkdir(d, { recursive: true });
    const named = new Map(weights);
    const shared = named.get('model.shared.weight') as Tensor;
    named.delete('model.shared.weight');
    named.set('model.encoder.embed_tokens.weight', shared);
    named.set('model.decoder.embed_tokens.weight', shared);
    named.set('lm_head.weight', shared);
    mutate?.(named);
    await writeFile(join(d, 'config.json'), JSON.stringify(config));
    await writeFile(join(d, 'model.safetensors'), writeSafetensors(named, { format: 'pt' }));
    return d;
  }

  it('loads an HF-layout checkpoint, computes what the independent implementation does, and round-trips', async () => {
    const o = resolveBartOptions(TINY);
    const { params } = buildAll(createBart(TINY, { vocabSize: VOCAB }), { batch: 'batch', src: 'src', tgt: 'tgt' });
    const weights = randomWeights(params, 9);
    const ck = await loadHfCheckpoint(await writeHfDir('ok', weights));
    expect(ck.config).toEqual({ ...o, dropout: 0.1 });
    expect(ck.vocabSize).toBe(VOCAB);
    expect(ck.notes.some((n) => n.includes('attention_dropout 0.1 not carried over'))).toBe(true);
    expect(ck.notes.some((n) => n.includes('model.shared.weight taken from its tied copy model.encoder.embed_tokens.weight'))).toBe(true);
    expect([...ck.weights.keys()].sort()).toEqual([...weights.keys()].sort());
    const x = randomBatch(2, 6, 4, [6, 3], [4, 2], 10);
    const g = buildAll(createBart(ck.config, { vocabSize: ck.vocabSize }), { batch: 'batch', src: 'src', tgt: 'tgt' }).graph;
    expect(maxDiff(run(g, ck.weights, feeds(x)).logits, referenceBart(o, weights, x.src, x.srcMask, x.tgt, x.tgtMask).logits)).toBeLessThan(1e-4);

    const out = join(dir, 'saved');
    await saveHfCheckpoint(out, ck.config, ck.weights, { pad: 0, bos: 2, eos: 3 });
    const cfg = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ model_type: 'bart', d_model: 16, encoder_layers: 2, decoder_attention_heads: 4, decoder_ffn_dim: 24, max_position_embeddings: 12, vocab_size: VOCAB, pad_token_id: 0, decoder_start_token_id: 3 });
    const again = await loadHfCheckpoint(out);
    expect(again.config).toEqual(ck.config);
    for (const [n, t] of ck.weights) expect(again.weights.get(n)?.data, n).toEqual(t.data);
  });

  it('names the file and the tensor when a checkpoint is incomplete, mis-shaped or another architecture', async () => {
    const { params } = buildAll(createBart(TINY, { vocabSize: VOCAB }), { batch: 'batch', src: 'src', tgt: 'tgt' });
    const weights = randomWeights(params, 11);
    const missing = await writeHfDir('missing', weights, (t) => t.delete('model.decoder.layers.1.encoder_attn.v_proj.bias'));
    await expect(loadHfCheckpoint(missing)).rejects.toThrow(/missing\/model\.safetensors: missing tensor model\.decoder\.layers\.1\.encoder_attn\.v_proj\.bias/);
    const wrong = await writeHfDir('wrong', weights, (t) => t.set('model.encoder.layers.0.fc1.weight', tensor('float32', [16, 24])));
    await expect(loadHfCheckpoint(wrong)).rejects.toThrow(/tensor model\.encoder\.layers\.0\.fc1\.weight has shape \[16, 24\], expected \[24, 16\]/);
    const mbart = await writeHfDir('mbart', weights, undefined, { ...hfConfig, model_type: 'mbart' });
    await expect(loadHfCheckpoint(mbart)).rejects.toThrow(/mbart\/config\.json: model_type is "mbart"/);
    const heads = await writeHfDir('heads', weights, undefined, { ...hfConfig, decoder_attention_heads: 2 });
    await expect(loadHfCheckpoint(heads)).rejects.toThrow(/"encoder_attention_heads" \(4\) and "decoder_attention_heads" \(2\) differ/);
    await expect(loadHfCheckpoint(join(dir, 'nowhere'))).rejects.toThrow(/nowhere\/config\.json: cannot read \(ENOENT\)/);
    await expect(saveHfCheckpoint(join(dir, 'bad'), resolveBartOptions(TINY), new Map())).rejects.toThrow(/missing tensor model\.shared\.weight/);
  });
});
