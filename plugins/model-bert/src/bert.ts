/**
 * BERT: a post-LayerNorm Transformer encoder with learned positions, token types, a pooler and a tied MLM head.
 *
 * References:
 * - Devlin, Chang, Lee, Toutanova (2019), "BERT: Pre-training of Deep Bidirectional Transformers for Language
 *   Understanding", NAACL. https://arxiv.org/abs/1810.04805
 * - google-research/bert `modeling.py` (embedding_postprocessor, transformer_model, get_pooled_output) and
 *   `run_pretraining.py` (get_masked_lm_output: transform + tied output embedding + bias).
 * - Hugging Face transformers `models/bert/modeling_bert.py` (BertEmbeddings, BertSelfAttention, BertSelfOutput,
 *   BertIntermediate, BertOutput, BertPooler, BertLMPredictionHead, BertForPreTraining,
 *   BertForSequenceClassification): parameter names and layouts follow it exactly, so checkpoints interchange.
 *
 * Layouts: like `torch.nn.Linear`, a dense weight is stored [out, in]; the graph applies it as one
 * `Gemm(x, W, b, transB=1)` on token rows (x [batch*seq, in]), so neither the forward nor the backward pass has a
 * Transpose of a weight and the bias add is part of the GEMM. The encoder keeps its hidden states as token rows
 * [batch*seq, H] and reshapes to [batch, heads, seq, dh] only for the attention products. The MLM decoder is the
 * word embedding matrix itself (tied): `Gemm(t, wte, bias, transB=1)`.
 *
 * Deviation from the reference: attention-probability dropout (`attention_probs_dropout_prob`, 0.1 in BERT) is
 * not supported. Dropout masks are graph inputs fed from ssbench's seeded RNG, and a mask over the attention
 * probabilities would be [batch, heads, seq, seq] per layer (e.g. 8 x 12 x 512 x 512 x 12 layers = 300M floats
 * per step), so `attentionDropout` must be 0. Hidden dropout (embeddings, attention output, FFN output,
 * classifier) is supported.
 */
import type { EncoderInputs, EncoderModel, EncoderOutputs, ForwardOptions, JSONSchema, ModelContext, ModelPlugin } from '@ssbench/core';
import { type GraphBuilder, type ParamInit, type Value, leadingDims, paramOnce, rowwise, tensor, unflatten } from '@ssbench/graph';
import pkg from '../package.json' with { type: 'json' };

// ---- options ----------------------------------------------------------------------------------------------

export type BertPreset = 'tiny' | 'mini' | 'small' | 'medium' | 'base';

/** BERT's published sizes (google-research/bert README: the 24 smaller models, and BERT-Base). */
export const BERT_PRESETS: Readonly<Record<BertPreset, { numLayers: number; hiddenSize: number; numHeads: number }>> = {
  tiny: { numLayers: 2, hiddenSize: 128, numHeads: 2 },
  mini: { numLayers: 4, hiddenSize: 256, numHeads: 4 },
  small: { numLayers: 4, hiddenSize: 512, numHeads: 8 },
  medium: { numLayers: 8, hiddenSize: 512, numHeads: 8 },
  base: { numLayers: 12, hiddenSize: 768, numHeads: 12 },
};

/** Options as a config writes them (every field optional; the schema's defaults fill the gaps). */
export interface BertOptionsInput {
  preset?: BertPreset;
  hiddenSize?: number;
  numLayers?: number;
  numHeads?: number;
  intermediateSize?: number;
  maxPositions?: number;
  typeVocabSize?: number;
  hiddenDropout?: number;
  attentionDropout?: number;
  initializerRange?: number;
  layerNormEps?: number;
}

/** Resolved options: every size known. */
export interface BertOptions {
  /** Width of every hidden state (H). */
  hiddenSize: number;
  /** Number of Transformer blocks (L). */
  numLayers: number;
  /** Attention heads (A); hiddenSize must be divisible by it. */
  numHeads: number;
  /** Width of the FFN's inner layer (4H in BERT). */
  intermediateSize: number;
  /** Rows of the learned position table: the longest sequence the model accepts. */
  maxPositions: number;
  /** Segment (token type) vocabulary: 2 for [CLS] A [SEP] B [SEP]. */
  typeVocabSize: number;
  /** Dropout on embeddings, attention output, FFN output and the classifier input. */
  hiddenDropout: number;
  /** Must be 0 (see the file header). */
  attentionDropout: number;
  /** Std of the normal initialisation of weights and embeddings. */
  initializerRange: number;
  layerNormEps: number;
}

const DEFAULTS = {
  hiddenSize: 128,
  numLayers: 2,
  numHeads: 2,
  maxPositions: 512,
  typeVocabSize: 2,
  hiddenDropout: 0.1,
  attentionDropout: 0,
  initializerRange: 0.02,
  layerNormEps: 1e-12,
} as const;

export const bertOptionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'BERT encoder options',
  type: 'object',
  additionalProperties: false,
  properties: {
    preset: {
      enum: ['tiny', 'mini', 'small', 'medium', 'base'],
      description:
        "BERT's published sizes: tiny 2 layers/128 hidden/2 heads, mini 4/256/4, small 4/512/8, medium 8/512/8, base 12/768/12. Sets hiddenSize, numLayers and numHeads (leave those out, or give the same values).",
    },
    hiddenSize: { type: 'integer', minimum: 1, default: DEFAULTS.hiddenSize, description: 'Hidden width H.' },
    numLayers: { type: 'integer', minimum: 1, default: DEFAULTS.numLayers, description: 'Transformer blocks L.' },
    numHeads: { type: 'integer', minimum: 1, default: DEFAULTS.numHeads, description: 'Attention heads; must divide hiddenSize.' },
    intermediateSize: { type: 'integer', minimum: 1, description: 'FFN inner width (default 4 * hiddenSize).' },
    maxPositions: { type: 'integer', minimum: 1, default: DEFAULTS.maxPositions, description: 'Learned positions (longest sequence).' },
    typeVocabSize: { type: 'integer', minimum: 1, default: DEFAULTS.typeVocabSize, description: 'Token type (segment) ids.' },
    hiddenDropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: DEFAULTS.hiddenDropout },
    attentionDropout: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      default: DEFAULTS.attentionDropout,
      description: 'Attention-probability dropout: not supported, must be 0 (masks would be [batch, heads, seq, seq] per layer).',
    },
    initializerRange: { type: 'number', exclusiveMinimum: 0, default: DEFAULTS.initializerRange, description: 'Init std of weights.' },
    layerNormEps: { type: 'number', exclusiveMinimum: 0, default: DEFAULTS.layerNormEps },
  },
};

function fail(message: string): never {
  throw new Error(`@ssbench/model-bert: ${message}`);
}

/** Applies defaults and the preset, and checks the options; throws a message naming the bad option. */
export function resolveBertOptions(input: BertOptionsInput = {}): BertOptions {
  const known = new Set(Object.keys(bertOptionsSchema.properties as object));
  for (const k of Object.keys(input)) if (!known.has(k)) fail(`unknown option "${k}" (known: ${[...known].join(', ')})`);
  let sizes: { hiddenSize: number; numLayers: number; numHeads: number } = {
    hiddenSize: input.hiddenSize ?? DEFAULTS.hiddenSize,
    numLayers: input.numLayers ?? DEFAULTS.numLayers,
    numHeads: input.numHeads ?? DEFAULTS.numHeads,
  };
  if (input.preset !== undefined) {
    const p = BERT_PRESETS[input.preset];
    if (!p) fail(`preset "${input.preset}" is not one of ${Object.keys(BERT_PRESETS).join(', ')}`);
    // The schema's defaults may already have filled hiddenSize etc.: a value equal to the default or to the
    // preset is accepted, anything else contradicts the preset.
    for (const k of ['hiddenSize', 'numLayers', 'numHeads'] as const) {
      const v = input[k];
      if (v !== undefined && v !== p[k] && v !== DEFAULTS[k])
        fail(`${k} ${v} contradicts preset "${input.preset}" (${k} ${p[k]}): give one or the other`);
    }
    sizes = { ...p };
  }
  const o: BertOptions = {
    ...sizes,
    intermediateSize: input.intermediateSize ?? 4 * sizes.hiddenSize,
    maxPositions: input.maxPositions ?? DEFAULTS.maxPositions,
    typeVocabSize: input.typeVocabSize ?? DEFAULTS.typeVocabSize,
    hiddenDropout: input.hiddenDropout ?? DEFAULTS.hiddenDropout,
    attentionDropout: input.attentionDropout ?? DEFAULTS.attentionDropout,
    initializerRange: input.initializerRange ?? DEFAULTS.initializerRange,
    layerNormEps: input.layerNormEps ?? DEFAULTS.layerNormEps,
  };
  for (const k of ['hiddenSize', 'numLayers', 'numHeads', 'intermediateSize', 'maxPositions', 'typeVocabSize'] as const)
    if (!Number.isInteger(o[k]) || o[k] < 1) fail(`${k} must be a positive integer, got ${o[k]}`);
  if (o.hiddenSize % o.numHeads !== 0) fail(`hiddenSize ${o.hiddenSize} is not divisible by numHeads ${o.numHeads}`);
  if (!(o.hiddenDropout >= 0 && o.hiddenDropout < 1)) fail(`hiddenDropout must be in [0, 1), got ${o.hiddenDropout}`);
  if (o.attentionDropout !== 0)
    fail(
      `attentionDropout ${o.attentionDropout} is not supported: attention-probability dropout would need a fed ` +
        `[batch, heads, seq, seq] mask per layer; set attentionDropout to 0 (hiddenDropout is supported)`,
    );
  if (!(o.initializerRange > 0)) fail(`initializerRange must be > 0, got ${o.initializerRange}`);
  if (!(o.layerNormEps > 0)) fail(`layerNormEps must be > 0, got ${o.layerNormEps}`);
  return o;
}

// ---- parameter names (Hugging Face BertForPreTraining / BertForSequenceClassification) ----------------------

/** Every parameter of the encoder (BertModel, with the `bert.` prefix) and its shape, in declaration order. */
export function bertEncoderParamShapes(o: BertOptions, vocabSize: number): Map<string, number[]> {
  const H = o.hiddenSize;
  const I = o.intermediateSize;
  const m = new Map<string, number[]>();
  m.set('bert.embeddings.word_embeddings.weight', [vocabSize, H]);
  m.set('bert.embeddings.position_embeddings.weight', [o.maxPositions, H]);
  m.set('bert.embeddings.token_type_embeddings.weight', [o.typeVocabSize, H]);
  m.set('bert.embeddings.LayerNorm.weight', [H]);
  m.set('bert.embeddings.LayerNorm.bias', [H]);
  for (let i = 0; i < o.numLayers; i++) {
    const p = `bert.encoder.layer.${i}`;
    for (const n of ['query', 'key', 'value']) {
      m.set(`${p}.attention.self.${n}.weight`, [H, H]);
      m.set(`${p}.attention.self.${n}.bias`, [H]);
    }
    m.set(`${p}.attention.output.dense.weight`, [H, H]);
    m.set(`${p}.attention.output.dense.bias`, [H]);
    m.set(`${p}.attention.output.LayerNorm.weight`, [H]);
    m.set(`${p}.attention.output.LayerNorm.bias`, [H]);
    m.set(`${p}.intermediate.dense.weight`, [I, H]);
    m.set(`${p}.intermediate.dense.bias`, [I]);
    m.set(`${p}.output.dense.weight`, [H, I]);
    m.set(`${p}.output.dense.bias`, [H]);
    m.set(`${p}.output.LayerNorm.weight`, [H]);
    m.set(`${p}.output.LayerNorm.bias`, [H]);
  }
  m.set('bert.pooler.dense.weight', [H, H]);
  m.set('bert.pooler.dense.bias', [H]);
  return m;
}

/** The pretraining heads (MLM transform and bias, NSP) and their shapes; the MLM decoder is tied. */
export function bertPretrainingHeadShapes(o: BertOptions, vocabSize: number): Map<string, number[]> {
  const H = o.hiddenSize;
  return new Map([
    ['cls.predictions.transform.dense.weight', [H, H]],
    ['cls.predictions.transform.dense.bias', [H]],
    ['cls.predictions.transform.LayerNorm.weight', [H]],
    ['cls.predictions.transform.LayerNorm.bias', [H]],
    ['cls.predictions.bias', [vocabSize]],
    ['cls.seq_relationship.weight', [2, H]],
    ['cls.seq_relationship.bias', [2]],
  ]);
}

// ---- the model ------------------------------------------------------------------------------------------------

/** Declares a parameter, or returns it when an earlier call (forward, another head) already declared it. */
const param = (b: GraphBuilder, name: string, shape: readonly number[], init: ParamInit): Value => paramOnce(b, name, shape, init, { fail });

export class BertEncoder implements EncoderModel {
  readonly architecture = 'encoder' as const;
  readonly config: Readonly<Record<string, unknown>>;
  readonly hidden: number;
  readonly options: BertOptions;
  readonly vocabSize: number;

  constructor(options: BertOptions, vocabSize: number) {
    if (!Number.isInteger(vocabSize) || vocabSize < 1) fail(`vocabSize must be a positive integer, got ${vocabSize}`);
    this.options = options;
    this.vocabSize = vocabSize;
    this.hidden = options.hiddenSize;
    this.config = Object.freeze({ ...options, vocabSize });
  }

  private weightInit(): ParamInit {
    return { kind: 'normal', std: this.options.initializerRange };
  }

  /**
   * nn.Linear: x [..., in] -> x W^T + b [..., out], with W stored [out, in] as in PyTorch: one Gemm (transB) on
   * rows [N, in]; other ranks are reshaped to rows and back.
   */
  private linear(b: GraphBuilder, x: Value, prefix: string, inDim: number, outDim: number): Value {
    const w = param(b, `${prefix}.weight`, [outDim, inDim], this.weightInit());
    const bias = param(b, `${prefix}.bias`, [outDim], { kind: 'zeros' });
    return rowwise(b, x, (rows) => b.gemm(rows, w, bias, { transB: true })); // [N, in] -> [N, out]
  }

  private layerNorm(b: GraphBuilder, x: Value, prefix: string): Value {
    const H = this.options.hiddenSize;
    const gamma = param(b, `${prefix}.weight`, [H], { kind: 'ones' });
    const beta = param(b, `${prefix}.bias`, [H], { kind: 'zeros' });
    return b.layerNorm(x, gamma, beta, this.options.layerNormEps);
  }

  /**
   * GELU, erf form (BERT's original): 0.5 * x * (1 + erf(x / sqrt(2))). Written with Div by sqrt(2) (not Mul by
   * 1/sqrt(2)): that is the pattern onnxruntime's GeluFusion turns into one Gelu kernel in inference graphs
   * (measured: 2 Gelu kernels 3.3 ms instead of Mul/Erf/Add/Mul chains ~8 ms per quickstart forward).
   */
  private gelu(b: GraphBuilder, x: Value): Value {
    return b.mul(b.mul(x, 0.5), b.add(b.erf(b.div(x, Math.SQRT2)), 1));
  }

  private dropout(b: GraphBuilder, x: Value, options: ForwardOptions): Value {
    return options.training ? b.dropout(x, this.options.hiddenDropout) : x;
  }

  /** Learned position embeddings for positions 0..seq-1: [seq, H]. */
  private positions(b: GraphBuilder, inputIds: Value): Value {
    const { maxPositions: P, hiddenSize: H } = this.options;
    const table = param(b, 'bert.embeddings.position_embeddings.weight', [P, H], this.weightInit()); // [P, H]
    const seq = inputIds.shape[1];
    if (typeof seq === 'number') {
      if (seq > P) fail(`sequence length ${seq} exceeds maxPositions ${P}`);
      return b.slice(table, [0], [seq], [0]); // [P, H] -> [seq, H]
    }
    // Symbolic length: position ids 0..seq-1 are a slice of a constant arange whose end is read from the run-time
    // shape (as HF's ONNX export does); gathering rows keeps the table's gradient a plain Gather gradient.
    const seqLen = b.slice(b.shapeOf(inputIds), [1], [2], [0]); // [2] -> [1] int64 (= seq)
    const arange = b.constant(tensor('int32', [P], Int32Array.from({ length: P }, (_, i) => i)), 'position_ids'); // [P]
    const [ids] = b.node('Slice', [arange, b.int64s([0], 'starts'), seqLen, b.int64s([0], 'axes')], [{ dtype: 'int32', shape: [seq] }]);
    return b.gather(table, ids, 0); // [P, H] gathered at [seq] -> [seq, H]
  }

  forward(b: GraphBuilder, inputs: EncoderInputs, options: ForwardOptions): EncoderOutputs {
    const o = this.options;
    const H = o.hiddenSize;
    const nh = o.numHeads;
    const dh = H / nh;
    const { inputIds, tokenTypeIds, attentionMask } = inputs;
    if (inputIds.shape.length !== 2) fail(`inputIds must be [batch, seq], got [${inputIds.shape.join(', ')}]`);

    const lead = leadingDims(b, inputIds, 2); // [batch, seq], to reshape token rows back

    // Embeddings (BertEmbeddings): word + position + token type -> LayerNorm -> dropout, as token rows.
    const x = b.scope('embeddings', () => {
      const wte = param(b, 'bert.embeddings.word_embeddings.weight', [this.vocabSize, H], this.weightInit()); // [V, H]
      const tte = param(b, 'bert.embeddings.token_type_embeddings.weight', [o.typeVocabSize, H], this.weightInit()); // [T, H]
      const words = b.gather(wte, inputIds); // [batch, seq, H]
      const types = b.gather(tte, tokenTypeIds); // [batch, seq, H]
      const pos = this.positions(b, inputIds); // [seq, H], broadcast over batch
      const e = b.reshape(b.add(b.add(words, pos), types), [-1, H]); // [batch, seq, H] -> [batch*seq, H]
      return this.dropout(b, this.layerNorm(b, e, 'bert.embeddings.LayerNorm'), options);
    });

    // Additive attention mask (HF get_extended_attention_mask): (1 - mask) * -10000, broadcast over heads
    // and query positions.
    const extMask = b.scope('mask', () => {
      const m = b.unsqueeze(attentionMask, [1, 2]); // [batch, seq] -> [batch, 1, 1, seq]
      return b.mul(b.sub(1, m), -10000); // [batch, 1, 1, seq]
    });

    let h = x; // [batch*seq, H]
    const layerRows: Value[] = [x]; // embedding output, then each layer's output, as token rows [batch*seq, H]
    for (let i = 0; i < o.numLayers; i++) {
      const p = `bert.encoder.layer.${i}`;
      h = b.scope(`layer${i}`, () => {
        // Self-attention (BertSelfAttention).
        const heads = (t: Value) => b.transpose(unflatten(b, t, lead, [nh, dh]), [0, 2, 1, 3]); // [batch*seq, H] -> [batch, seq, nh, dh] -> [batch, nh, seq, dh]
        const q = heads(this.linear(b, h, `${p}.attention.self.query`, H, H)); // [batch, nh, seq, dh]
        const k = heads(this.linear(b, h, `${p}.attention.self.key`, H, H)); // [batch, nh, seq, dh]
        const v = heads(this.linear(b, h, `${p}.attention.self.value`, H, H)); // [batch, nh, seq, dh]
        const kT = b.transpose(k, [0, 1, 3, 2]); // [batch, nh, seq, dh] -> [batch, nh, dh, seq]
        const scores = b.add(b.mul(b.matmul(q, kT), 1 / Math.sqrt(dh)), extMask); // [batch, nh, seq, seq]
        const probs = b.softmax(scores, -1); // [batch, nh, seq, seq] (attention dropout: unsupported, see header)
        const ctx = b.matmul(probs, v); // [batch, nh, seq, dh]
        const merged = b.reshape(b.transpose(ctx, [0, 2, 1, 3]), [-1, H]); // [batch, nh, seq, dh] -> [batch, seq, nh, dh] -> [batch*seq, H]
        // BertSelfOutput: dense -> dropout -> residual -> LayerNorm (post-LN).
        const attnOut = this.dropout(b, this.linear(b, merged, `${p}.attention.output.dense`, H, H), options); // [batch*seq, H]
        const a = this.layerNorm(b, b.add(attnOut, h), `${p}.attention.output.LayerNorm`); // [batch*seq, H]
        // BertIntermediate + BertOutput: dense -> GELU -> dense -> dropout -> residual -> LayerNorm.
        const inner = this.gelu(b, this.linear(b, a, `${p}.intermediate.dense`, H, o.intermediateSize)); // [batch*seq, I]
        const ffn = this.dropout(b, this.linear(b, inner, `${p}.output.dense`, o.intermediateSize, H), options); // [batch*seq, H]
        return this.layerNorm(b, b.add(ffn, a), `${p}.output.LayerNorm`); // [batch*seq, H]
      });
      layerRows.push(h);
    }
    const sequence = unflatten(b, h, lead, [H]); // [batch*seq, H] -> [batch, seq, H]

    // Pooler (BertPooler): tanh(dense(hidden state of [CLS])).
    const pooled = b.scope('pooler', () => {
      const cls = b.squeeze(b.slice(sequence, [0], [1], [1]), [1]); // [batch, seq, H] -> [batch, 1, H] -> [batch, H]
      return b.tanh(this.linear(b, cls, 'bert.pooler.dense', H, H)); // [batch, H]
    });

    // Hidden states (HF output_hidden_states): L + 1 values [batch, seq, H], the embedding output (after its
    // dropout in training mode, as HF) then each layer's output; the last one is `sequence` itself. The encoder
    // keeps token rows, so all but the last need a Reshape: those nodes are added only when `hiddenStates` is
    // first read (a memoised getter), so graphs that don't use them are unchanged.
    const out: EncoderOutputs = { sequence, pooled };
    let hiddenStates: Value[] | undefined;
    Object.defineProperty(out, 'hiddenStates', {
      enumerable: true,
      get: () => {
        hiddenStates ??= b.scope('hidden_states', () =>
          layerRows.map((rows, i) => (i === o.numLayers ? sequence : unflatten(b, rows, lead, [H]))), // [batch*seq, H] -> [batch, seq, H]
        );
        return hiddenStates;
      },
    });
    return out;
  }

  mlmLogits(b: GraphBuilder, hidden: Value, _options: ForwardOptions): Value {
    const H = this.options.hiddenSize;
    return b.scope('mlm', () =>
      rowwise(b, hidden, (rows) => {
        // BertPredictionHeadTransform: dense -> GELU -> LayerNorm.
        const t = this.layerNorm(b, this.gelu(b, this.linear(b, rows, 'cls.predictions.transform.dense', H, H)), 'cls.predictions.transform.LayerNorm'); // [n, H]
        // Decoder tied to the word embeddings: t @ wte^T + bias.
        const wte = param(b, 'bert.embeddings.word_embeddings.weight', [this.vocabSize, H], this.weightInit()); // [V, H]
        const bias = param(b, 'cls.predictions.bias', [this.vocabSize], { kind: 'zeros' });
        return b.gemm(t, wte, bias, { transB: true }); // [n, H] @ [V, H]^T + [V] -> [n, V]
      }),
    );
  }

  pairLogits(b: GraphBuilder, pooled: Value): Value {
    return b.scope('nsp', () => this.linear(b, pooled, 'cls.seq_relationship', this.options.hiddenSize, 2)); // [batch, 2]
  }

  classifierLogits(b: GraphBuilder, pooled: Value, numLabels: number, options: ForwardOptions): Value {
    if (!Number.isInteger(numLabels) || numLabels < 1) fail(`numLabels must be a positive integer, got ${numLabels}`);
    return b.scope('classifier', () => this.linear(b, this.dropout(b, pooled, options), 'classifier', this.options.hiddenSize, numLabels)); // [batch, numLabels]
  }

  /**
   * 2 x multiply-adds per token of one forward pass through the encoder (no embeddings gathers, pooler or
   * heads): per layer, Q/K/V/output projections 4H^2, FFN 2HI, and the attention products QK^T and PV
   * 2 * seq * H (each token attends to seq positions in every head).
   */
  flopsPerToken(seqLen: number): number {
    const { hiddenSize: H, intermediateSize: I, numLayers: L } = this.options;
    return 2 * L * (4 * H * H + 2 * H * I + 2 * seqLen * H);
  }
}

/** A BERT encoder instance for a vocabulary size (a `ModelPlugin.create` without the plugin object). */
export function createBert(options: BertOptionsInput, ctx: ModelContext): BertEncoder {
  return new BertEncoder(resolveBertOptions(options), ctx.vocabSize);
}

const plugin: ModelPlugin<BertOptionsInput> = {
  kind: 'model',
  name: '@ssbench/model-bert',
  version: pkg.version,
  description: 'BERT encoder (Devlin et al. 2019): post-LN, learned positions, token types, pooler, tied MLM head, NSP head.',
  optionsSchema: bertOptionsSchema,
  architecture: 'encoder',
  create: (options, ctx) => createBert(options, ctx),
};

export default plugin;
