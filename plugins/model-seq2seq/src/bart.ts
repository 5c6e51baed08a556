/**
 * BART: a Transformer encoder-decoder with post-LayerNorm blocks, learned positions (offset 2), a LayerNorm on the
 * embeddings, cross-attention from every decoder layer to the encoder's memory, and an LM head tied to the shared
 * token embeddings plus `final_logits_bias`.
 *
 * References:
 * - Lewis, Liu, Goyal, Ghazvininejad, Mohamed, Levy, Stoyanov, Zettlemoyer (2020), "BART: Denoising
 *   Sequence-to-Sequence Pre-training for Natural Language Generation, Translation, and Comprehension", ACL.
 *   https://arxiv.org/abs/1910.13461 (section 2.1: the standard seq2seq Transformer, GELU, N(0, 0.02) init).
 * - Hugging Face transformers `models/bart/modeling_bart.py` (BartLearnedPositionalEmbedding: rows
 *   `max_position_embeddings + 2`, position ids `arange(seq) + 2`; BartAttention: q scaled by head_dim^-0.5;
 *   BartEncoderLayer / BartDecoderLayer: post-LN with `self_attn_layer_norm`, `encoder_attn_layer_norm`,
 *   `final_layer_norm`; BartEncoder / BartDecoder: `embed_scale = sqrt(d_model) if scale_embedding else 1`,
 *   `layernorm_embedding`; BartForConditionalGeneration: `lm_logits = lm_head(h) + final_logits_bias`, lm_head tied
 *   to `model.shared`; BartClassificationHead: dropout -> dense -> tanh -> dropout -> out_proj;
 *   `shift_tokens_right`: the decoder input starts with `decoder_start_token_id` (= EOS for BART)). Parameter names
 *   and layouts follow it exactly, so checkpoints interchange. `configuration_bart.py` for the defaults (LayerNorm
 *   eps 1e-5 from nn.LayerNorm, activation "gelu", init_std 0.02, scale_embedding false).
 *
 * Layouts: like `torch.nn.Linear`, a dense weight is stored [out, in] and applied as one `Gemm(x, W, b, transB=1)`
 * on token rows [batch*seq, in]; hidden states stay token rows and are reshaped to [batch, heads, seq, dh] only for
 * the attention products. The LM head is `Gemm(h, model.shared.weight, final_logits_bias, transB=1)`.
 *
 * Masks: one additive bias per attention (-1e9 where a query may not attend): padding of the keys from the
 * attention mask (encoder self-attention, decoder self-attention, cross-attention over the memory with the source
 * mask), plus the causal part in decoder self-attention, built from run-time position ranges (no [P, P] constant).
 * Real tokens come first in each row (right padding), since positions are 0..seq-1 in every row as in HF.
 *
 * `forward` (the encoder contract) is the encoder alone; its `pooled` is the MEAN of the memory over real source
 * tokens. HF's BartForSequenceClassification instead runs the decoder on the shifted input and reads the decoder's
 * last EOS state; with the encoder alone the EOS state of the memory is not trained to summarise anything (no
 * pretraining loss reads it), its position depends on the runner's token layout, and mean pooling uses every token
 * and works for any layout, so the classifier head (`classification_head.*`, HF's structure) reads the mean.
 *
 * Deviations from the reference, on purpose:
 * - Attention-probability dropout (`attention_dropout`, 0.1 in bart-base) is not supported. Dropout masks are graph
 *   inputs fed from ssbench's seeded RNG and a mask over attention probabilities would be [batch, heads, q, k] per
 *   attention, so `attentionDropout` must be 0. Hidden dropout (embeddings, attention outputs, FFN output) and
 *   activation dropout (after GELU) are supported.
 * - `final_logits_bias` is a frozen zero buffer in HF; here it is a parameter (trained, no weight decay), like BERT's
 *   `cls.predictions.bias`. Its name and shape [1, vocab] are HF's, so checkpoints interchange.
 * - HF zeroes the padding row of `model.shared` at init; ssbench's ParamInit has no per-row init, so it is normal
 *   like the other rows (padding ids are masked out of every attention and never predicted).
 */
import type {
  EncoderDecoderModel,
  EncoderInputs,
  EncoderOutputs,
  ForwardOptions,
  JSONSchema,
  ModelContext,
  ModelPlugin,
  Seq2SeqDecoderInputs,
  Seq2SeqDecoderOutputs,
  Seq2SeqEncoderInputs,
  Seq2SeqEncoderOutputs,
} from '@ssbench/core';
import { type GraphBuilder, type LeadingDims, type ParamInit, type Value, leadingDims, paramOnce, tensor, unflatten } from '@ssbench/graph';
import pkg from '../package.json' with { type: 'json' };

// ---- options ----------------------------------------------------------------------------------------------

/** Options as a config writes them (every field optional; the schema's defaults fill the gaps). */
export interface BartOptionsInput {
  dModel?: number;
  encoderLayers?: number;
  decoderLayers?: number;
  heads?: number;
  ffnDim?: number;
  maxPositions?: number;
  dropout?: number;
  attentionDropout?: number;
  activationDropout?: number;
  classifierDropout?: number;
  initStd?: number;
  layerNormEps?: number;
  scaleEmbedding?: boolean;
}

/** Resolved options: every size known. */
export interface BartOptions {
  /** Width of every hidden state (HF `d_model`). */
  dModel: number;
  /** Encoder blocks (`encoder_layers`). */
  encoderLayers: number;
  /** Decoder blocks (`decoder_layers`). */
  decoderLayers: number;
  /** Attention heads of every attention (`encoder_attention_heads` = `decoder_attention_heads`); divides dModel. */
  heads: number;
  /** FFN inner width (`encoder_ffn_dim` = `decoder_ffn_dim`). */
  ffnDim: number;
  /** Longest sequence (`max_position_embeddings`); the position tables have maxPositions + 2 rows. */
  maxPositions: number;
  /** Hidden dropout: embeddings, attention outputs, FFN output (`dropout`). */
  dropout: number;
  /** Must be 0 (see the file header). */
  attentionDropout: number;
  /** Dropout after GELU inside the FFN (`activation_dropout`; 0 in bart-base). */
  activationDropout: number;
  /** Dropout before and inside the classification head (`classifier_dropout`; 0 in HF's default). */
  classifierDropout: number;
  /** Std of the normal initialisation of weights and embeddings (`init_std`). */
  initStd: number;
  layerNormEps: number;
  /** Multiply token embeddings by sqrt(dModel) (`scale_embedding`; false in BART, true in mBART/Marian). */
  scaleEmbedding: boolean;
}

const DEFAULTS: BartOptions = {
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
};

/** Number of extra rows of BART's learned position tables (fairseq's padding_idx + 1 legacy). */
export const BART_POSITION_OFFSET = 2;

export const bartOptionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'BART encoder-decoder options',
  type: 'object',
  additionalProperties: false,
  properties: {
    dModel: { type: 'integer', minimum: 1, default: DEFAULTS.dModel, description: 'Hidden width (d_model).' },
    encoderLayers: { type: 'integer', minimum: 1, default: DEFAULTS.encoderLayers, description: 'Encoder blocks.' },
    decoderLayers: { type: 'integer', minimum: 1, default: DEFAULTS.decoderLayers, description: 'Decoder blocks.' },
    heads: { type: 'integer', minimum: 1, default: DEFAULTS.heads, description: 'Attention heads (encoder and decoder); must divide dModel.' },
    ffnDim: { type: 'integer', minimum: 1, default: DEFAULTS.ffnDim, description: 'FFN inner width.' },
    maxPositions: { type: 'integer', minimum: 1, default: DEFAULTS.maxPositions, description: 'Longest source or target sequence.' },
    dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: DEFAULTS.dropout, description: 'Hidden dropout.' },
    attentionDropout: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      default: DEFAULTS.attentionDropout,
      description: 'Attention-probability dropout: not supported, must be 0 (masks would be [batch, heads, q, k] per attention).',
    },
    activationDropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: DEFAULTS.activationDropout, description: 'Dropout after GELU in the FFN.' },
    classifierDropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: DEFAULTS.classifierDropout, description: 'Dropout in the classification head.' },
    initStd: { type: 'number', exclusiveMinimum: 0, default: DEFAULTS.initStd, description: 'Init std of weights and embeddings.' },
    layerNormEps: { type: 'number', exclusiveMinimum: 0, default: DEFAULTS.layerNormEps },
    scaleEmbedding: { type: 'boolean', default: DEFAULTS.scaleEmbedding, description: 'Scale token embeddings by sqrt(dModel) (false in BART).' },
  },
};

function fail(message: string): never {
  throw new Error(`@ssbench/model-seq2seq: ${message}`);
}

/** Applies defaults and checks the options; throws a message naming the bad option. */
export function resolveBartOptions(input: BartOptionsInput = {}): BartOptions {
  const known = new Set(Object.keys(bartOptionsSchema.properties as object));
  for (const k of Object.keys(input)) if (!known.has(k)) fail(`unknown option "${k}" (known: ${[...known].join(', ')})`);
  const o: BartOptions = { ...DEFAULTS };
  for (const [k, v] of Object.entries(input)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  for (const k of ['dModel', 'encoderLayers', 'decoderLayers', 'heads', 'ffnDim', 'maxPositions'] as const)
    if (!Number.isInteger(o[k]) || o[k] < 1) fail(`${k} must be a positive integer, got ${o[k]}`);
  if (o.dModel % o.heads !== 0) fail(`dModel ${o.dModel} is not divisible by heads ${o.heads}`);
  for (const k of ['dropout', 'activationDropout', 'classifierDropout'] as const)
    if (typeof o[k] !== 'number' || !(o[k] >= 0 && o[k] < 1)) fail(`${k} must be in [0, 1), got ${o[k]}`);
  if (o.attentionDropout !== 0)
    fail(
      `attentionDropout ${o.attentionDropout} is not supported: attention-probability dropout would need a fed ` +
        `[batch, heads, q, k] mask per attention; set attentionDropout to 0 (dropout and activationDropout are supported)`,
    );
  if (!(o.initStd > 0)) fail(`initStd must be > 0, got ${o.initStd}`);
  if (!(o.layerNormEps > 0)) fail(`layerNormEps must be > 0, got ${o.layerNormEps}`);
  if (typeof o.scaleEmbedding !== 'boolean') fail(`scaleEmbedding must be a boolean, got ${JSON.stringify(o.scaleEmbedding)}`);
  return o;
}

// ---- parameter names (Hugging Face BartForConditionalGeneration) --------------------------------------------

/** An attention block's projections in HF's declaration order (BartAttention: k, v, q, out). */
const ATTENTION_PROJECTIONS = ['k_proj', 'v_proj', 'q_proj', 'out_proj'] as const;

/**
 * Every parameter of BartForConditionalGeneration (without the tied aliases `model.encoder.embed_tokens.weight`,
 * `model.decoder.embed_tokens.weight` and `lm_head.weight`, which are `model.shared.weight`) and its shape, in
 * HF's `named_parameters` order, then the `final_logits_bias` buffer.
 */
export function bartParamShapes(o: BartOptions, vocabSize: number): Map<string, number[]> {
  const H = o.dModel;
  const F = o.ffnDim;
  const m = new Map<string, number[]>();
  const attention = (p: string) => {
    for (const n of ATTENTION_PROJECTIONS) {
      m.set(`${p}.${n}.weight`, [H, H]);
      m.set(`${p}.${n}.bias`, [H]);
    }
  };
  const norm = (p: string) => {
    m.set(`${p}.weight`, [H]);
    m.set(`${p}.bias`, [H]);
  };
  m.set('model.shared.weight', [vocabSize, H]);
  for (const side of ['encoder', 'decoder'] as const) {
    m.set(`model.${side}.embed_positions.weight`, [o.maxPositions + BART_POSITION_OFFSET, H]);
    const layers = side === 'encoder' ? o.encoderLayers : o.decoderLayers;
    for (let i = 0; i < layers; i++) {
      const p = `model.${side}.layers.${i}`;
      attention(`${p}.self_attn`);
      norm(`${p}.self_attn_layer_norm`);
      if (side === 'decoder') {
        attention(`${p}.encoder_attn`);
        norm(`${p}.encoder_attn_layer_norm`);
      }
      m.set(`${p}.fc1.weight`, [F, H]);
      m.set(`${p}.fc1.bias`, [F]);
      m.set(`${p}.fc2.weight`, [H, F]);
      m.set(`${p}.fc2.bias`, [H]);
      norm(`${p}.final_layer_norm`);
    }
    norm(`model.${side}.layernorm_embedding`);
  }
  m.set('final_logits_bias', [1, vocabSize]);
  return m;
}

/** HF's `_init_weights`: Linear and Embedding weights N(0, init_std), biases zero, LayerNorm weight one, bias zero. */
function initOf(name: string, std: number): ParamInit {
  if (/(layer_norm|layernorm_embedding)\.weight$/.test(name)) return { kind: 'ones' };
  if (/bias$/.test(name)) return { kind: 'zeros' };
  return { kind: 'normal', std };
}

// ---- graph helpers ----------------------------------------------------------------------------------------

/** Additive bias where a query may not attend (as GPT's; exp(-1e9 + s) is 0 in float32). */
const MASKED = -1e9;

// ---- the model ------------------------------------------------------------------------------------------------

type Side = 'encoder' | 'decoder';

export class BartModel implements EncoderDecoderModel {
  readonly architecture = 'encoder-decoder' as const;
  readonly config: Readonly<Record<string, unknown>>;
  readonly hidden: number;
  readonly options: BartOptions;
  readonly vocabSize: number;
  private readonly shapes: Map<string, number[]>;

  constructor(options: BartOptions, vocabSize: number) {
    if (!Number.isInteger(vocabSize) || vocabSize < 1) fail(`vocabSize must be a positive integer, got ${vocabSize}`);
    this.options = options;
    this.vocabSize = vocabSize;
    this.hidden = options.dModel;
    this.config = Object.freeze({ ...options, vocabSize });
    this.shapes = bartParamShapes(options, vocabSize);
  }

  /**
   * Declares a parameter (shape and init from HF's layout), or returns it when an earlier call already did.
   * Classifier parameters are not in the table; their shape is given.
   */
  private param(b: GraphBuilder, name: string, shape?: readonly number[]): Value {
    const want = shape ?? this.shapes.get(name) ?? fail(`internal: no shape for parameter ${name}`);
    return paramOnce(b, name, want, initOf(name, this.options.initStd), { decay: !/(bias|layer_norm|layernorm_embedding)/.test(name), fail });
  }

  /** Declares, in HF's order, every parameter whose name starts with `prefix` (so graphs list them as HF does). */
  private declareAll(b: GraphBuilder, prefix: string): void {
    for (const name of this.shapes.keys()) if (name.startsWith(prefix)) this.param(b, name);
  }

  /** nn.Linear on token rows: x [N, in] -> x W^T + b [N, out] with W stored [out, in]: one Gemm (transB). */
  private linear(b: GraphBuilder, rows: Value, prefix: string, shape?: { in: number; out: number }): Value {
    const w = this.param(b, `${prefix}.weight`, shape && [shape.out, shape.in]);
    const bias = this.param(b, `${prefix}.bias`, shape && [shape.out]);
    return b.gemm(rows, w, bias, { transB: true }); // [N, in] @ [out, in]^T + [out] -> [N, out]
  }

  private layerNorm(b: GraphBuilder, x: Value, prefix: string): Value {
    return b.layerNorm(x, this.param(b, `${prefix}.weight`), this.param(b, `${prefix}.bias`), this.options.layerNormEps);
  }

  /** GELU, erf form (HF ACT2FN["gelu"]), written with Div by sqrt(2) as BERT's (onnxruntime's GeluFusion pattern). */
  private gelu(b: GraphBuilder, x: Value): Value {
    return b.mul(b.mul(x, 0.5), b.add(b.erf(b.div(x, Math.SQRT2)), 1));
  }

  private dropout(b: GraphBuilder, x: Value, rate: number, options: ForwardOptions): Value {
    return options.training ? b.dropout(x, rate) : x;
  }

  /**
   * Rows of the position table for ids [batch, seq]: positions 0..seq-1 plus BART's offset 2, [seq] int32 (a
   * constant when seq is static). Their order is the positions' order, so the causal mask can compare them.
   */
  private positionRows(b: GraphBuilder, ids: Value): Value {
    const P = this.options.maxPositions;
    const seq = ids.shape[1];
    const rows = (n: number) => Int32Array.from({ length: n }, (_, i) => i + BART_POSITION_OFFSET);
    if (typeof seq === 'number') {
      if (seq > P) fail(`sequence length ${seq} exceeds maxPositions ${P}`);
      return b.constant(tensor('int32', [seq], rows(seq)), 'position_ids'); // [seq]
    }
    // Symbolic length: a slice of a constant arange whose end is read from the run-time shape (as HF's ONNX export).
    const seqLen = b.slice(b.shapeOf(ids), [1], [2], [0]); // [2] -> [1] int64 (= seq)
    const arange = b.constant(tensor('int32', [P], rows(P)), 'position_ids'); // [P]
    const [pos] = b.node('Slice', [arange, b.int64s([0], 'starts'), seqLen, b.int64s([0], 'axes')], [{ dtype: 'int32', shape: [seq] }]);
    return pos; // [seq]
  }

  /**
   * BartEncoder / BartDecoder embeddings: shared[ids] * embed_scale + embed_positions[pos + 2] -> layernorm_embedding
   * -> dropout, as token rows [batch*seq, H]. `pos` comes from positionRows (offset included).
   */
  private embed(b: GraphBuilder, side: Side, ids: Value, pos: Value, options: ForwardOptions): Value {
    const o = this.options;
    const H = o.dModel;
    let tokens = b.gather(this.param(b, 'model.shared.weight'), ids); // [V, H] at [batch, seq] -> [batch, seq, H]
    if (o.scaleEmbedding) tokens = b.mul(tokens, Math.sqrt(H));
    const table = this.param(b, `model.${side}.embed_positions.weight`); // [P + 2, H]
    const positions = b.gather(table, pos); // [P + 2, H] at [seq] -> [seq, H]
    const e = b.reshape(b.add(tokens, positions), [-1, H]); // [batch, seq, H] + [seq, H] -> [batch*seq, H]
    return this.dropout(b, this.layerNorm(b, e, `model.${side}.layernorm_embedding`), o.dropout, options);
  }

  /** Padding of the keys as an additive bias: mask [batch, k] -> (1 - mask) * MASKED [batch, 1, 1, k]. */
  private paddingBias(b: GraphBuilder, mask: Value): Value {
    return b.mul(b.sub(1, b.unsqueeze(mask, [1, 2])), MASKED); // [batch, k] -> [batch, 1, 1, k]
  }

  /** Causal bias from position rows [seq]: MASKED where key position > query position, else 0: [seq, seq]. */
  private causalBias(b: GraphBuilder, pos: Value): Value {
    const future = b.greater(b.unsqueeze(pos, [0]), b.unsqueeze(pos, [1])); // [1, seq] > [seq, 1] -> [seq(query), seq(key)] bool
    return b.where(future, b.scalar(MASKED), b.scalar(0)); // [seq, seq]
  }

  /**
   * BartAttention (no cache): queries from rows x [Nq, H] (lead qLead = [batch, q]), keys/values from rows kv [Nk, H]
   * (kvLead = [batch, k]); `bias` [batch, 1, q or 1, k] is added to the scaled scores. Returns rows [Nq, H].
   */
  private attention(b: GraphBuilder, prefix: string, x: Value, qLead: LeadingDims, kv: Value, kvLead: LeadingDims, bias: Value): Value {
    const o = this.options;
    const H = o.dModel;
    const nh = o.heads;
    const dh = H / nh;
    const heads = (t: Value, lead: LeadingDims) => b.transpose(unflatten(b, t, lead, [nh, dh]), [0, 2, 1, 3]); // [N, H] -> [batch, s, nh, dh] -> [batch, nh, s, dh]
    const q = heads(this.linear(b, x, `${prefix}.q_proj`), qLead); // [batch, nh, q, dh]
    const k = heads(this.linear(b, kv, `${prefix}.k_proj`), kvLead); // [batch, nh, k, dh]
    const v = heads(this.linear(b, kv, `${prefix}.v_proj`), kvLead); // [batch, nh, k, dh]
    const kT = b.transpose(k, [0, 1, 3, 2]); // [batch, nh, k, dh] -> [batch, nh, dh, k]
    const scores = b.add(b.mul(b.matmul(q, kT), 1 / Math.sqrt(dh)), bias); // [batch, nh, q, k]
    const probs = b.softmax(scores, -1); // [batch, nh, q, k] (attention dropout: unsupported, see header)
    const ctx = b.matmul(probs, v); // [batch, nh, q, dh]
    const merged = b.reshape(b.transpose(ctx, [0, 2, 1, 3]), [-1, H]); // [batch, nh, q, dh] -> [batch, q, nh, dh] -> [batch*q, H]
    return this.linear(b, merged, `${prefix}.out_proj`); // [batch*q, H]
  }

  /** fc1 -> GELU -> activation dropout -> fc2 -> dropout, on rows [N, H]. */
  private ffn(b: GraphBuilder, p: string, x: Value, options: ForwardOptions): Value {
    const inner = this.dropout(b, this.gelu(b, this.linear(b, x, `${p}.fc1`)), this.options.activationDropout, options); // [N, F]
    return this.dropout(b, this.linear(b, inner, `${p}.fc2`), this.options.dropout, options); // [N, H]
  }

  encode(b: GraphBuilder, inputs: Seq2SeqEncoderInputs, options: ForwardOptions): Seq2SeqEncoderOutputs {
    const o = this.options;
    const H = o.dModel;
    const { inputIds, attentionMask } = inputs;
    if (inputIds.shape.length !== 2) fail(`inputIds must be [batch, srcSeq], got [${inputIds.shape.join(', ')}]`);
    this.param(b, 'model.shared.weight');
    this.declareAll(b, 'model.encoder.');
    const lead = leadingDims(b, inputIds, 2); // [batch, src]
    const pos = this.positionRows(b, inputIds); // [src] int32
    const x = b.scope('encoder/embeddings', () => this.embed(b, 'encoder', inputIds, pos, options)); // [batch*src, H]
    const bias = b.scope('encoder/mask', () => this.paddingBias(b, attentionMask)); // [batch, 1, 1, src]
    let h = x;
    for (let i = 0; i < o.encoderLayers; i++) {
      const p = `model.encoder.layers.${i}`;
      // BartEncoderLayer (post-LN): h = LN(h + drop(attn(h))); h = LN(h + drop(fc2(drop(gelu(fc1(h)))))).
      h = b.scope(`encoder/layer${i}`, () => {
        const attn = this.dropout(b, this.attention(b, `${p}.self_attn`, h, lead, h, lead, bias), o.dropout, options); // [batch*src, H]
        const a = this.layerNorm(b, b.add(h, attn), `${p}.self_attn_layer_norm`); // [batch*src, H]
        return this.layerNorm(b, b.add(a, this.ffn(b, p, a, options)), `${p}.final_layer_norm`); // [batch*src, H]
      });
    }
    const memory = unflatten(b, h, lead, [H]); // [batch*src, H] -> [batch, src, H]
    // Mean of the memory over real tokens (see the file header for why not the EOS state).
    const pooled = b.scope('encoder/pool', () => {
      const m = b.unsqueeze(attentionMask, [2]); // [batch, src] -> [batch, src, 1]
      const sum = b.reduceSum(b.mul(memory, m), [1], false); // [batch, src, H] -> [batch, H]
      const count = b.max(b.reduceSum(attentionMask, [1], true), 1e-6); // [batch, src] -> [batch, 1]
      return b.div(sum, count); // [batch, H]
    });
    return { memory, pooled };
  }

  decode(b: GraphBuilder, inputs: Seq2SeqDecoderInputs, options: ForwardOptions): Seq2SeqDecoderOutputs {
    const o = this.options;
    const H = o.dModel;
    const { decoderInputIds, decoderAttentionMask, memory, memoryMask } = inputs;
    if (decoderInputIds.shape.length !== 2) fail(`decoderInputIds must be [batch, tgtSeq], got [${decoderInputIds.shape.join(', ')}]`);
    if (memory.shape.length !== 3 || memory.shape[2] !== H) fail(`memory must be [batch, srcSeq, ${H}], got [${memory.shape.join(', ')}]`);
    this.param(b, 'model.shared.weight');
    this.declareAll(b, 'model.decoder.');
    const lead = leadingDims(b, decoderInputIds, 2); // [batch, tgt]
    const memLead = leadingDims(b, memory, 2); // [batch, src]
    const memRows = b.reshape(memory, [-1, H]); // [batch, src, H] -> [batch*src, H]
    const pos = this.positionRows(b, decoderInputIds); // [tgt] int32
    const x = b.scope('decoder/embeddings', () => this.embed(b, 'decoder', decoderInputIds, pos, options)); // [batch*tgt, H]
    // Self-attention: causal + target padding (HF _prepare_4d_causal_attention_mask); cross: source padding.
    const selfBias = b.scope('decoder/mask', () => b.add(this.paddingBias(b, decoderAttentionMask), this.causalBias(b, pos))); // [batch, 1, 1, tgt] + [tgt, tgt] -> [batch, 1, tgt, tgt]
    const crossBias = b.scope('decoder/memory_mask', () => this.paddingBias(b, memoryMask)); // [batch, 1, 1, src]
    let h = x;
    for (let i = 0; i < o.decoderLayers; i++) {
      const p = `model.decoder.layers.${i}`;
      // BartDecoderLayer (post-LN): self-attn, cross-attn over the memory, FFN; each + residual -> LayerNorm.
      h = b.scope(`decoder/layer${i}`, () => {
        const sa = this.dropout(b, this.attention(b, `${p}.self_attn`, h, lead, h, lead, selfBias), o.dropout, options); // [batch*tgt, H]
        const a = this.layerNorm(b, b.add(h, sa), `${p}.self_attn_layer_norm`); // [batch*tgt, H]
        const ca = this.dropout(b, this.attention(b, `${p}.encoder_attn`, a, lead, memRows, memLead, crossBias), o.dropout, options); // [batch*tgt, H]
        const c = this.layerNorm(b, b.add(a, ca), `${p}.encoder_attn_layer_norm`); // [batch*tgt, H]
        return this.layerNorm(b, b.add(c, this.ffn(b, p, c, options)), `${p}.final_layer_norm`); // [batch*tgt, H]
      });
    }
    return { sequence: unflatten(b, h, lead, [H]) }; // [batch*tgt, H] -> [batch, tgt, H]
  }

  forward(b: GraphBuilder, inputs: EncoderInputs, options: ForwardOptions): EncoderOutputs {
    const { memory, pooled } = this.encode(b, { inputIds: inputs.inputIds, attentionMask: inputs.attentionMask }, options);
    return { sequence: memory, pooled };
  }

  lmLogits(b: GraphBuilder, hidden: Value, _options: ForwardOptions): Value {
    const H = this.options.dModel;
    if (hidden.shape.length !== 2 || hidden.shape[1] !== H) fail(`lmLogits: hidden must be [n, ${H}], got [${hidden.shape.join(', ')}]`);
    return b.scope('lm_head', () => {
      const shared = this.param(b, 'model.shared.weight'); // [V, H]
      const bias = this.param(b, 'final_logits_bias'); // [1, V]
      return b.gemm(hidden, shared, bias, { transB: true }); // [n, H] @ [V, H]^T + [1, V] -> [n, V]
    });
  }

  classifierLogits(b: GraphBuilder, pooled: Value, numLabels: number, options: ForwardOptions): Value {
    if (!Number.isInteger(numLabels) || numLabels < 1) fail(`numLabels must be a positive integer, got ${numLabels}`);
    const H = this.options.dModel;
    const rate = this.options.classifierDropout;
    // BartClassificationHead: dropout -> dense -> tanh -> dropout -> out_proj.
    return b.scope('classification_head', () => {
      const x = this.dropout(b, pooled, rate, options); // [batch, H]
      const t = b.tanh(this.linear(b, x, 'classification_head.dense', { in: H, out: H })); // [batch, H]
      return this.linear(b, this.dropout(b, t, rate, options), 'classification_head.out_proj', { in: H, out: numLabels }); // [batch, numLabels]
    });
  }

  /**
   * 2 x multiply-adds per token of one encoder + decoder pass with source and target both `seqLen` long (no
   * embedding gathers, LM head or classifier): per encoder layer, projections 4H^2, FFN 2HF, attention products
   * 2 * seq * H; per decoder layer, self-attention 4H^2 + 2 * seq * H, cross-attention 4H^2 (its key/value
   * projections run on the memory, one source token per target token) + 2 * seq * H, FFN 2HF.
   */
  flopsPerToken(seqLen: number): number {
    const { dModel: H, ffnDim: F, encoderLayers: Le, decoderLayers: Ld } = this.options;
    return 2 * (Le * (4 * H * H + 2 * H * F + 2 * seqLen * H) + Ld * (8 * H * H + 2 * H * F + 4 * seqLen * H));
  }
}

/** A BART instance for a vocabulary size (a `ModelPlugin.create` without the plugin object). */
export function createBart(options: BartOptionsInput, ctx: ModelContext): BartModel {
  return new BartModel(resolveBartOptions(options), ctx.vocabSize);
}

const plugin: ModelPlugin<BartOptionsInput> = {
  kind: 'model',
  name: '@ssbench/model-seq2seq',
  version: pkg.version,
  description: 'BART-style encoder-decoder (Lewis et al. 2020): post-LN encoder and decoder, cross-attention, tied LM head + final_logits_bias.',
  optionsSchema: bartOptionsSchema,
  architecture: 'encoder-decoder',
  create: (options, ctx) => createBart(options, ctx),
};

export default plugin;
