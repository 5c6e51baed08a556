/**
 * GPT-2: a pre-LayerNorm Transformer decoder with learned positions, causal self-attention, tanh-GELU and an
 * output projection tied to the token embeddings.
 *
 * References:
 * - Radford, Wu, Child, Luan, Amodei, Sutskever (2019), "Language Models are Unsupervised Multitask Learners"
 *   (OpenAI), section 2.3: LayerNorm moved to the input of each sub-block plus a final LayerNorm, residual
 *   projections initialised with std / sqrt(N) for N residual layers.
 * - openai/gpt-2 `src/model.py` (`model`, `block`, `attn`, `mlp`, `gelu`, `attention_mask`, `conv1d`: weights [in,
 *   out], `logits = h @ wte^T`).
 * - Hugging Face transformers `models/gpt2/modeling_gpt2.py` (GPT2Model, GPT2Block, GPT2Attention, GPT2MLP,
 *   GPT2LMHeadModel, GPT2ForSequenceClassification, `GPT2PreTrainedModel._init_weights`) and `pytorch_utils.Conv1D`:
 *   parameter names and layouts follow it exactly, so checkpoints interchange; `activations.NewGELUActivation`
 *   ("gelu_new").
 *
 * Layouts: GPT-2's Conv1D stores its weight [in, out] (the transpose of nn.Linear), so every projection is one
 * `Gemm(x, W, b)` on token rows x [batch*seq, in] without transB; the fused c_attn projection gives [rows, 3H] whose
 * column blocks are q, k and v. The tied LM head is `Gemm(h, wte, transB=1)` (wte is [vocab, H]); the sequence
 * classifier `score.weight` is an nn.Linear [numLabels, H] without bias (GPT2ForSequenceClassification).
 *
 * Masking: causal and padding masks are one additive bias (-1e9 where a query may not attend), the causal part built
 * from run-time position ranges (key position > query position) instead of a [nPositions, nPositions] constant, so no
 * large tensor is baked into the graph. Positions are 0..seq-1 in every row (GPT2Model's default position ids), so
 * real tokens must come first: right padding, the runner's convention. `pooled` is the hidden state at the last real
 * token, index = max_i(i * attention_mask[i]) (transformers' GPT2ForSequenceClassification takes the last non-pad
 * token the same way); with right padding that is sum(attention_mask) - 1, and a left-padded row still pools its last
 * token (but its positions are shifted, so its states differ from the unpadded row's).
 *
 * Generation: `forwardWithCache` builds the prefill graph (the prompt, returning the last position's logits and
 * every layer's keys and values) and the decode-step graph (one new token attending to the cached keys/values,
 * returning the grown cache): see generate.ts.
 *
 * Deviation from the reference: attention-probability dropout (`attn_pdrop`, 0.1 in GPT-2) is not supported.
 * Dropout masks are graph inputs fed from ssbench's seeded RNG, and a mask over the attention probabilities would be
 * [batch, heads, seq, seq] per layer, so `attnDropout` must be 0. Embedding and residual dropout are supported.
 */
import type { DecoderModel, EncoderInputs, EncoderOutputs, ForwardOptions, JSONSchema, ModelContext, ModelPlugin, BackendSession } from '@ssbench/core';
import { type Graph, GraphBuilder, type LeadingDims, type ParamInit, type Tensor, type Value, leadingDims, paramOnce, rowwise, tensor, unflatten } from '@ssbench/graph';
import pkg from '../package.json' with { type: 'json' };
import { type GenerateOptions, type GenerateResult, generateWithCache, pastKeyName, pastValueName, presentKeyName, presentValueName } from './generate';

// ---- options ----------------------------------------------------------------------------------------------

export type GptPreset = 'tiny' | 'gpt2' | 'gpt2-medium';

/** GPT-2's published sizes (openai/gpt-2 `models/*\/hparams.json`) and a tiny one for tests and quick runs. */
export const GPT_PRESETS: Readonly<Record<GptPreset, { nLayer: number; nEmbd: number; nHead: number; nPositions: number }>> = {
  tiny: { nLayer: 2, nEmbd: 128, nHead: 2, nPositions: 256 },
  gpt2: { nLayer: 12, nEmbd: 768, nHead: 12, nPositions: 1024 },
  'gpt2-medium': { nLayer: 24, nEmbd: 1024, nHead: 16, nPositions: 1024 },
};

/** Options as a config writes them (every field optional; the schema's defaults fill the gaps). */
export interface GptOptionsInput {
  preset?: GptPreset;
  nEmbd?: number;
  nLayer?: number;
  nHead?: number;
  nInner?: number;
  nPositions?: number;
  residDropout?: number;
  embdDropout?: number;
  attnDropout?: number;
  layerNormEps?: number;
  initializerRange?: number;
  tokenTypeEmbeddings?: boolean;
}

/** Resolved options: every size known. Names follow HF's GPT2Config (n_embd -> nEmbd, ...). */
export interface GptOptions {
  /** Width of every hidden state (H). */
  nEmbd: number;
  /** Number of Transformer blocks. */
  nLayer: number;
  /** Attention heads; nEmbd must be divisible by it. */
  nHead: number;
  /** Width of the MLP's inner layer (4H in GPT-2). */
  nInner: number;
  /** Rows of the learned position table: the longest sequence the model accepts. */
  nPositions: number;
  /** Dropout on the attention and MLP outputs before each residual add (resid_pdrop). */
  residDropout: number;
  /** Dropout on the summed input embeddings (embd_pdrop). */
  embdDropout: number;
  /** Must be 0 (see the file header). */
  attnDropout: number;
  layerNormEps: number;
  /** Std of the normal initialisation (residual projections use std / sqrt(2 nLayer)). */
  initializerRange: number;
  /** Add wte[token_type_ids] to the input embeddings, as GPT2Model does when token_type_ids are passed. */
  tokenTypeEmbeddings: boolean;
}

const DEFAULTS = {
  nEmbd: 128,
  nLayer: 2,
  nHead: 2,
  nPositions: 256,
  residDropout: 0.1,
  embdDropout: 0.1,
  attnDropout: 0,
  layerNormEps: 1e-5,
  initializerRange: 0.02,
  tokenTypeEmbeddings: false,
} as const;

export const gptOptionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'GPT-2 decoder options',
  type: 'object',
  additionalProperties: false,
  properties: {
    preset: {
      enum: ['tiny', 'gpt2', 'gpt2-medium'],
      description:
        "Sizes: tiny 2 layers/128 wide/2 heads/256 positions, gpt2 (124M) 12/768/12/1024, gpt2-medium (355M) 24/1024/16/1024. Sets nLayer, nEmbd and nHead (leave those out, or give the same values) and the default of nPositions.",
    },
    nEmbd: { type: 'integer', minimum: 1, default: DEFAULTS.nEmbd, description: 'Hidden width H (n_embd).' },
    nLayer: { type: 'integer', minimum: 1, default: DEFAULTS.nLayer, description: 'Transformer blocks (n_layer).' },
    nHead: { type: 'integer', minimum: 1, default: DEFAULTS.nHead, description: 'Attention heads (n_head); must divide nEmbd.' },
    nInner: { type: 'integer', minimum: 1, description: 'MLP inner width (n_inner; default 4 * nEmbd).' },
    nPositions: {
      type: 'integer',
      minimum: 1,
      description: "Learned positions, the longest sequence (n_positions). Default 256, or the preset's (1024 for gpt2 and gpt2-medium).",
    },
    residDropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: DEFAULTS.residDropout, description: 'resid_pdrop.' },
    embdDropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: DEFAULTS.embdDropout, description: 'embd_pdrop.' },
    attnDropout: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      default: DEFAULTS.attnDropout,
      description: 'Attention-probability dropout (attn_pdrop): not supported, must be 0 (masks would be [batch, heads, seq, seq] per layer).',
    },
    layerNormEps: { type: 'number', exclusiveMinimum: 0, default: DEFAULTS.layerNormEps, description: 'layer_norm_epsilon.' },
    initializerRange: { type: 'number', exclusiveMinimum: 0, default: DEFAULTS.initializerRange, description: 'Init std of weights.' },
    tokenTypeEmbeddings: {
      type: 'boolean',
      default: DEFAULTS.tokenTypeEmbeddings,
      description: "Add wte[token_type_ids] to the input embeddings (GPT-2's optional token types share the token table). Off: token types are ignored.",
    },
  },
};

function fail(message: string): never {
  throw new Error(`@ssbench/model-gpt: ${message}`);
}

/** Applies defaults and the preset, and checks the options; throws a message naming the bad option. */
export function resolveGptOptions(input: GptOptionsInput = {}): GptOptions {
  const known = new Set(Object.keys(gptOptionsSchema.properties as object));
  for (const k of Object.keys(input)) if (!known.has(k)) fail(`unknown option "${k}" (known: ${[...known].join(', ')})`);
  let sizes: { nEmbd: number; nLayer: number; nHead: number } = {
    nEmbd: input.nEmbd ?? DEFAULTS.nEmbd,
    nLayer: input.nLayer ?? DEFAULTS.nLayer,
    nHead: input.nHead ?? DEFAULTS.nHead,
  };
  let nPositions: number = DEFAULTS.nPositions;
  if (input.preset !== undefined) {
    const p = GPT_PRESETS[input.preset];
    if (!p) fail(`preset "${input.preset}" is not one of ${Object.keys(GPT_PRESETS).join(', ')}`);
    // The schema's defaults may already have filled nEmbd etc.: a value equal to the default or to the preset is
    // accepted, anything else contradicts the preset.
    for (const k of ['nEmbd', 'nLayer', 'nHead'] as const) {
      const v = input[k];
      if (v !== undefined && v !== p[k] && v !== DEFAULTS[k]) fail(`${k} ${v} contradicts preset "${input.preset}" (${k} ${p[k]}): give one or the other`);
    }
    sizes = { nEmbd: p.nEmbd, nLayer: p.nLayer, nHead: p.nHead };
    nPositions = p.nPositions;
  }
  const o: GptOptions = {
    ...sizes,
    nInner: input.nInner ?? 4 * sizes.nEmbd,
    nPositions: input.nPositions ?? nPositions,
    residDropout: input.residDropout ?? DEFAULTS.residDropout,
    embdDropout: input.embdDropout ?? DEFAULTS.embdDropout,
    attnDropout: input.attnDropout ?? DEFAULTS.attnDropout,
    layerNormEps: input.layerNormEps ?? DEFAULTS.layerNormEps,
    initializerRange: input.initializerRange ?? DEFAULTS.initializerRange,
    tokenTypeEmbeddings: input.tokenTypeEmbeddings ?? DEFAULTS.tokenTypeEmbeddings,
  };
  for (const k of ['nEmbd', 'nLayer', 'nHead', 'nInner', 'nPositions'] as const)
    if (!Number.isInteger(o[k]) || o[k] < 1) fail(`${k} must be a positive integer, got ${o[k]}`);
  if (o.nEmbd % o.nHead !== 0) fail(`nEmbd ${o.nEmbd} is not divisible by nHead ${o.nHead}`);
  for (const k of ['residDropout', 'embdDropout'] as const) if (!(o[k] >= 0 && o[k] < 1)) fail(`${k} must be in [0, 1), got ${o[k]}`);
  if (o.attnDropout !== 0)
    fail(
      `attnDropout ${o.attnDropout} is not supported: attention-probability dropout would need a fed ` +
        `[batch, heads, seq, seq] mask per layer; set attnDropout to 0 (residDropout and embdDropout are supported)`,
    );
  if (!(o.initializerRange > 0)) fail(`initializerRange must be > 0, got ${o.initializerRange}`);
  if (!(o.layerNormEps > 0)) fail(`layerNormEps must be > 0, got ${o.layerNormEps}`);
  if (typeof o.tokenTypeEmbeddings !== 'boolean') fail(`tokenTypeEmbeddings must be a boolean, got ${JSON.stringify(o.tokenTypeEmbeddings)}`);
  return o;
}

// ---- parameter names (Hugging Face GPT2LMHeadModel / GPT2ForSequenceClassification) -------------------------

/** Every parameter of the decoder (GPT2Model, with the `transformer.` prefix) and its shape, in declaration order. */
export function gptParamShapes(o: GptOptions, vocabSize: number): Map<string, number[]> {
  const H = o.nEmbd;
  const I = o.nInner;
  const m = new Map<string, number[]>();
  m.set('transformer.wte.weight', [vocabSize, H]);
  m.set('transformer.wpe.weight', [o.nPositions, H]);
  for (let i = 0; i < o.nLayer; i++) {
    const p = `transformer.h.${i}`;
    m.set(`${p}.ln_1.weight`, [H]);
    m.set(`${p}.ln_1.bias`, [H]);
    m.set(`${p}.attn.c_attn.weight`, [H, 3 * H]);
    m.set(`${p}.attn.c_attn.bias`, [3 * H]);
    m.set(`${p}.attn.c_proj.weight`, [H, H]);
    m.set(`${p}.attn.c_proj.bias`, [H]);
    m.set(`${p}.ln_2.weight`, [H]);
    m.set(`${p}.ln_2.bias`, [H]);
    m.set(`${p}.mlp.c_fc.weight`, [H, I]);
    m.set(`${p}.mlp.c_fc.bias`, [I]);
    m.set(`${p}.mlp.c_proj.weight`, [I, H]);
    m.set(`${p}.mlp.c_proj.bias`, [H]);
  }
  m.set('transformer.ln_f.weight', [H]);
  m.set('transformer.ln_f.bias', [H]);
  return m;
}

// ---- graph helpers ------------------------------------------------------------------------------------------

/** Additive bias where attention is not allowed. Large enough that exp() underflows to 0 in float32. */
const MASKED = -1e9;

/** Declares a parameter, or returns it when an earlier call (forward, another head) already declared it. */
const param = (b: GraphBuilder, name: string, shape: readonly number[], init: ParamInit): Value => paramOnce(b, name, shape, init, { fail });

/** One layer's attention keys and values: [batch, heads, length, headDim] each (HF's past_key_values layout). */
export interface KeyValue {
  key: Value;
  value: Value;
}

// ---- the model ----------------------------------------------------------------------------------------------

export class GptDecoder implements DecoderModel {
  readonly architecture = 'decoder' as const;
  readonly config: Readonly<Record<string, unknown>>;
  readonly hidden: number;
  readonly options: GptOptions;
  readonly vocabSize: number;

  constructor(options: GptOptions, vocabSize: number) {
    if (!Number.isInteger(vocabSize) || vocabSize < 1) fail(`vocabSize must be a positive integer, got ${vocabSize}`);
    this.options = options;
    this.vocabSize = vocabSize;
    this.hidden = options.nEmbd;
    this.config = Object.freeze({ ...options, vocabSize });
  }

  private init(std = this.options.initializerRange): ParamInit {
    return { kind: 'normal', std };
  }

  private wte(b: GraphBuilder): Value {
    return param(b, 'transformer.wte.weight', [this.vocabSize, this.options.nEmbd], this.init()); // [V, H]
  }

  private wpe(b: GraphBuilder): Value {
    return param(b, 'transformer.wpe.weight', [this.options.nPositions, this.options.nEmbd], this.init()); // [P, H]
  }

  /**
   * Conv1D (transformers.pytorch_utils.Conv1D): rows [N, in] -> rows @ W + b [N, out], W stored [in, out]. The
   * residual projections (`*.c_proj.weight`) get GPT-2's scaled init std / sqrt(2 nLayer).
   */
  private conv1d(b: GraphBuilder, rows: Value, prefix: string, inDim: number, outDim: number): Value {
    const o = this.options;
    const std = prefix.endsWith('.c_proj') ? o.initializerRange / Math.sqrt(2 * o.nLayer) : o.initializerRange;
    const w = param(b, `${prefix}.weight`, [inDim, outDim], this.init(std));
    const bias = param(b, `${prefix}.bias`, [outDim], { kind: 'zeros' });
    return b.gemm(rows, w, bias); // [N, in] @ [in, out] + [out] -> [N, out]
  }

  private layerNorm(b: GraphBuilder, x: Value, prefix: string): Value {
    const H = this.options.nEmbd;
    const gamma = param(b, `${prefix}.weight`, [H], { kind: 'ones' });
    const beta = param(b, `${prefix}.bias`, [H], { kind: 'zeros' });
    return b.layerNorm(x, gamma, beta, this.options.layerNormEps);
  }

  /** "gelu_new" (tanh approximation): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  private gelu(b: GraphBuilder, x: Value): Value {
    const cube = b.mul(b.mul(x, x), x);
    const inner = b.mul(b.add(x, b.mul(cube, 0.044715)), Math.sqrt(2 / Math.PI));
    return b.mul(b.mul(x, 0.5), b.add(b.tanh(inner), 1));
  }

  private dropout(b: GraphBuilder, x: Value, rate: number, options: ForwardOptions): Value {
    return options.training ? b.dropout(x, rate) : x;
  }

  /** Position ids 0..seq-1 of inputIds [batch, seq]: [seq] int32 (a constant when seq is static). */
  private positionIds(b: GraphBuilder, inputIds: Value): Value {
    const P = this.options.nPositions;
    const seq = inputIds.shape[1];
    if (typeof seq === 'number') {
      if (seq > P) fail(`sequence length ${seq} exceeds nPositions ${P}`);
      return b.constant(tensor('int32', [seq], Int32Array.from({ length: seq }, (_, i) => i)), 'position_ids'); // [seq]
    }
    // Symbolic length: a slice of a constant arange whose end is read from the run-time shape.
    const seqLen = b.slice(b.shapeOf(inputIds), [1], [2], [0]); // [2] -> [1] int64 (= seq)
    const arange = b.constant(tensor('int32', [P], Int32Array.from({ length: P }, (_, i) => i)), 'position_ids'); // [P]
    const [ids] = b.node('Slice', [arange, b.int64s([0], 'starts'), seqLen, b.int64s([0], 'axes')], [{ dtype: 'int32', shape: [seq] }]);
    return ids; // [seq]
  }

  /** Causal bias from position ids [seq]: MASKED where key position > query position, else 0: [seq, seq]. */
  private causalBias(b: GraphBuilder, pos: Value): Value {
    const future = b.greater(b.unsqueeze(pos, [0]), b.unsqueeze(pos, [1])); // [1, seq] > [seq, 1] -> [seq(query), seq(key)] bool
    return b.where(future, b.scalar(MASKED), b.scalar(0)); // [seq, seq]
  }

  /**
   * One pre-LN block (GPT2Block) on token rows h [N, H] (N = batch*seq): h + attn(ln_1(h)), then + mlp(ln_2(.)).
   * `bias` is added to the attention scores; `past` (decode step) holds the earlier positions' keys and values,
   * which are prepended. Returns the new rows and this layer's full keys/values (the "present" cache).
   */
  private block(
    b: GraphBuilder,
    h: Value,
    i: number,
    lead: LeadingDims,
    bias: Value | null,
    past: KeyValue | null,
    options: ForwardOptions,
  ): { h: Value; present: KeyValue } {
    const o = this.options;
    const H = o.nEmbd;
    const nh = o.nHead;
    const dh = H / nh;
    const p = `transformer.h.${i}`;
    // GPT2Attention: fused c_attn -> q, k, v column blocks -> heads.
    const a = this.layerNorm(b, h, `${p}.ln_1`); // [N, H]
    const qkv = this.conv1d(b, a, `${p}.attn.c_attn`, H, 3 * H); // [N, 3H]
    const heads = (t: Value) => b.transpose(unflatten(b, t, lead, [nh, dh]), [0, 2, 1, 3]); // [N, H] -> [batch, seq, nh, dh] -> [batch, nh, seq, dh]
    const q = heads(b.slice(qkv, [0], [H], [1])); // [N, 3H] -> [N, H] -> [batch, nh, seq, dh]
    let k = heads(b.slice(qkv, [H], [2 * H], [1])); // [batch, nh, seq, dh]
    let v = heads(b.slice(qkv, [2 * H], [3 * H], [1])); // [batch, nh, seq, dh]
    if (past) {
      k = b.concat([past.key, k], 2); // [batch, nh, past, dh] ++ [batch, nh, seq, dh] -> [batch, nh, past+seq, dh]
      v = b.concat([past.value, v], 2); // [batch, nh, past+seq, dh]
    }
    const kT = b.transpose(k, [0, 1, 3, 2]); // [batch, nh, kv, dh] -> [batch, nh, dh, kv]
    let scores = b.div(b.matmul(q, kT), Math.sqrt(dh)); // [batch, nh, seq, kv]
    if (bias) scores = b.add(scores, bias); // + [batch, 1, seq, kv]
    const probs = b.softmax(scores, -1); // [batch, nh, seq, kv] (attention dropout: unsupported, see header)
    const ctx = b.matmul(probs, v); // [batch, nh, seq, dh]
    const merged = b.reshape(b.transpose(ctx, [0, 2, 1, 3]), [-1, H]); // [batch, nh, seq, dh] -> [batch, seq, nh, dh] -> [N, H]
    const attnOut = this.dropout(b, this.conv1d(b, merged, `${p}.attn.c_proj`, H, H), o.residDropout, options); // [N, H]
    const h1 = b.add(h, attnOut); // [N, H]
    // GPT2MLP: c_fc -> gelu_new -> c_proj -> dropout.
    const m = this.layerNorm(b, h1, `${p}.ln_2`); // [N, H]
    const inner = this.gelu(b, this.conv1d(b, m, `${p}.mlp.c_fc`, H, o.nInner)); // [N, I]
    const ff = this.dropout(b, this.conv1d(b, inner, `${p}.mlp.c_proj`, o.nInner, H), o.residDropout, options); // [N, H]
    return { h: b.add(h1, ff), present: { key: k, value: v } };
  }

  forward(b: GraphBuilder, inputs: EncoderInputs, options: ForwardOptions): EncoderOutputs {
    const o = this.options;
    const H = o.nEmbd;
    const { inputIds, tokenTypeIds, attentionMask } = inputs;
    if (inputIds.shape.length !== 2) fail(`inputIds must be [batch, seq], got [${inputIds.shape.join(', ')}]`);
    const lead = leadingDims(b, inputIds, 2); // [batch, seq], to reshape token rows back
    const pos = this.positionIds(b, inputIds); // [seq] int32

    // Embeddings (GPT2Model): wte[ids] + wpe[positions] (+ wte[token types]) -> dropout, as token rows.
    const x = b.scope('embeddings', () => {
      let e = b.add(b.gather(this.wte(b), inputIds), b.gather(this.wpe(b), pos)); // [batch, seq, H] + [seq, H]
      if (o.tokenTypeEmbeddings) e = b.add(e, b.gather(this.wte(b), tokenTypeIds)); // + [batch, seq, H]
      return this.dropout(b, b.reshape(e, [-1, H]), o.embdDropout, options); // [batch, seq, H] -> [batch*seq, H]
    });

    // One additive bias: causal (key after query) + padding ((1 - mask) on keys), as HF combines them.
    const bias = b.scope('mask', () => {
      const padding = b.mul(b.sub(1, b.unsqueeze(attentionMask, [1, 2])), MASKED); // [batch, seq] -> [batch, 1, 1, seq]
      return b.add(padding, this.causalBias(b, pos)); // [batch, 1, 1, seq] + [seq, seq] -> [batch, 1, seq, seq]
    });

    let h = x; // [batch*seq, H]
    for (let i = 0; i < o.nLayer; i++) h = b.scope(`h${i}`, () => this.block(b, h, i, lead, bias, null, options).h);
    h = this.layerNorm(b, h, 'transformer.ln_f'); // [batch*seq, H]
    const sequence = unflatten(b, h, lead, [H]); // [batch*seq, H] -> [batch, seq, H]

    // Last real token of each row: index max_i(i * mask_i), gathered along seq.
    const pooled = b.scope('pool', () => {
      const last = b.reduceMax(b.mul(attentionMask, b.cast(pos, 'float32')), [1], true); // [batch, seq] * [seq] -> [batch, 1]
      const idx = b.unsqueeze(b.cast(last, 'int64'), [2]); // [batch, 1] -> [batch, 1, 1] int64
      const wide = b.expand(idx, b.int64s([1, 1, H]), [1, 1, H]); // [batch, 1, 1] -> [batch, 1, H]
      return b.squeeze(b.gatherElements(sequence, wide, 1), [1]); // [batch, 1, H] -> [batch, H]
    });
    return { sequence, pooled };
  }

  lmLogits(b: GraphBuilder, hidden: Value, _options: ForwardOptions): Value {
    return b.scope('lm_head', () => rowwise(b, hidden, (rows) => b.gemm(rows, this.wte(b), null, { transB: true }))); // [n, H] @ [V, H]^T -> [n, V]
  }

  classifierLogits(b: GraphBuilder, pooled: Value, numLabels: number, _options: ForwardOptions): Value {
    if (!Number.isInteger(numLabels) || numLabels < 1) fail(`numLabels must be a positive integer, got ${numLabels}`);
    return b.scope('score', () => {
      // GPT2ForSequenceClassification: score = nn.Linear(H, numLabels, bias=False), no dropout before it.
      const w = param(b, 'score.weight', [numLabels, this.options.nEmbd], this.init()); // [numLabels, H]
      return b.gemm(pooled, w, null, { transB: true }); // [batch, H] @ [numLabels, H]^T -> [batch, numLabels]
    });
  }

  /**
   * 2 x multiply-adds per token of one forward pass (no embedding gathers, LM head or classifier): per layer,
   * c_attn 3H^2 + c_proj H^2, MLP 2HI, and the attention products QK^T and PV 2 * seq * H (the graph computes the
   * full seq x seq scores and masks them; nanoGPT's estimate counts the same).
   */
  flopsPerToken(seqLen: number): number {
    const { nEmbd: H, nInner: I, nLayer: L } = this.options;
    return 2 * L * (4 * H * H + 2 * H * I + 2 * seqLen * H);
  }

  // ---- KV-cache graphs (generation) -----------------------------------------------------------------------

  /**
   * Inference forward for generation, on inputIds [batch, n] without padding. Without `past` (prefill) the n
   * tokens are at positions 0..n-1 with a causal mask; with `past` (one [batch, heads, past, headDim] key/value pair
   * per layer, `past` symbolic) n must be 1: the new token is at position `past` and attends to every cached
   * position and itself. Returns the next-token logits of the last position [batch, V] and each layer's keys and
   * values including the new position(s).
   */
  forwardWithCache(b: GraphBuilder, inputIds: Value, past: readonly KeyValue[] | null): { logits: Value; present: KeyValue[] } {
    const o = this.options;
    const H = o.nEmbd;
    if (inputIds.shape.length !== 2) fail(`inputIds must be [batch, n], got [${inputIds.shape.join(', ')}]`);
    if (past && past.length !== o.nLayer) fail(`past has ${past.length} layers, the model ${o.nLayer}`);
    if (past && inputIds.shape[1] !== 1) fail(`a decode step takes one new token per row (inputIds [batch, 1]), got [${inputIds.shape.join(', ')}]`);
    const lead = leadingDims(b, inputIds, 2);
    let bias: Value | null = null;
    let positions: Value; // [n, H]
    if (!past) {
      const pos = this.positionIds(b, inputIds); // [n] int32
      positions = b.gather(this.wpe(b), pos); // [n, H]
      bias = b.scope('mask', () => this.causalBias(b, pos)); // [n, n]
    } else {
      const pastLen = b.slice(b.shapeOf(past[0].key), [2], [3], [0]); // [4] -> [1] int64 (= past)
      positions = b.gather(this.wpe(b), pastLen); // [1, H]: the new token's position is `past`
    }
    const e = b.add(b.gather(this.wte(b), inputIds), positions); // [batch, n, H] + [n, H]
    let h = b.reshape(e, [-1, H]); // [batch, n, H] -> [batch*n, H]
    const present: KeyValue[] = [];
    const inference = { training: false };
    for (let i = 0; i < o.nLayer; i++) {
      const r = b.scope(`h${i}`, () => this.block(b, h, i, lead, bias, past ? past[i] : null, inference));
      h = r.h;
      present.push(r.present);
    }
    h = this.layerNorm(b, h, 'transformer.ln_f'); // [batch*n, H]
    const seq = unflatten(b, h, lead, [H]); // [batch*n, H] -> [batch, n, H]
    const last = b.gather(seq, b.constant(tensor('int64', [], [-1]), 'last'), 1); // [batch, n, H] -> [batch, H]
    const logits = b.gemm(last, this.wte(b), null, { transB: true }); // [batch, H] @ [V, H]^T -> [batch, V]
    return { logits, present };
  }

  /** The prefill graph: input_ids [batch, seq] -> logits [batch, V] (last position), present.{i}.key/value. */
  prefillGraph(): Graph {
    const b = new GraphBuilder('gpt2-prefill');
    const ids = b.input('input_ids', 'int32', ['batch', 'seq']);
    const { logits, present } = this.forwardWithCache(b, ids, null);
    b.output('logits', logits);
    present.forEach((kv, i) => {
      b.output(presentKeyName(i), kv.key);
      b.output(presentValueName(i), kv.value);
    });
    return b.build();
  }

  /**
   * The decode-step graph: input_ids [batch, 1] and past_key_values.{i}.key/value [batch, heads, past, headDim] ->
   * logits [batch, V] and present.{i}.key/value [batch, heads, past+1, headDim].
   */
  decodeGraph(): Graph {
    const o = this.options;
    const b = new GraphBuilder('gpt2-decode');
    const ids = b.input('input_ids', 'int32', ['batch', 1]);
    const dh = o.nEmbd / o.nHead;
    const past: KeyValue[] = [];
    for (let i = 0; i < o.nLayer; i++)
      past.push({
        key: b.input(pastKeyName(i), 'float32', ['batch', o.nHead, 'past', dh]),
        value: b.input(pastValueName(i), 'float32', ['batch', o.nHead, 'past', dh]),
      });
    const { logits, present } = this.forwardWithCache(b, ids, past);
    b.output('logits', logits);
    present.forEach((kv, i) => {
      b.output(presentKeyName(i), kv.key);
      b.output(presentValueName(i), kv.value);
    });
    return b.build();
  }

  /**
   * Generates up to `maxNewTokens` tokens after `promptIds` with a KV cache on `session` (see generate.ts):
   * temperature 0 is greedy, otherwise sampling from softmax(logits / temperature) over the topK best tokens.
   */
  generate(
    session: BackendSession,
    weights: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>,
    promptIds: readonly number[],
    options: GenerateOptions,
  ): Promise<GenerateResult> {
    return generateWithCache(this, session, weights, promptIds, options);
  }
}

/** A GPT-2 decoder instance for a vocabulary size (a `ModelPlugin.create` without the plugin object). */
export function createGpt(options: GptOptionsInput, ctx: ModelContext): GptDecoder {
  return new GptDecoder(resolveGptOptions(options), ctx.vocabSize);
}

const plugin: ModelPlugin<GptOptionsInput> = {
  kind: 'model',
  name: '@ssbench/model-gpt',
  version: pkg.version,
  description: 'GPT-2 decoder (Radford et al. 2019): pre-LN, causal self-attention, learned positions, tied LM head, KV-cache generation.',
  optionsSchema: gptOptionsSchema,
  architecture: 'decoder',
  create: (options, ctx) => createGpt(options, ctx),
};

export default plugin;
