/**
 * ssbench-model-check: an ssbench model plugin (an encoder).
 *
 * The model: a bag of embeddings. A token is its word embedding plus its token-type embedding; the "bag" is the
 * mean of the tokens of a sequence over its real (unpadded) positions. Each position's state is its own token plus
 * the bag (so a masked position sees its context, as in word2vec's CBOW), and the pooled output is
 * tanh(dense(bag)). No attention and no positions: word order is ignored, like fastText (Joulin et al. 2017).
 * It is small on purpose, and still has every part of the encoder contract: `forward`, a masked-LM head tied to
 * the word embeddings, a sentence-pair head and a classifier head, all built in the @ssbench/graph IR, so every
 * backend runs it and the runner's autodiff trains it. Replace the body of `forward` with your architecture.
 *
 * Parameter names follow Hugging Face's conventions (dense weights stored [out, in] as in torch.nn.Linear and
 * applied as one Gemm with transB); names under `embeddings.` are what the runner re-initialises in its
 * "re-initialised embeddings" variant.
 */
import type { EncoderInputs, EncoderModel, EncoderOutputs, ForwardOptions, JSONSchema, ModelContext, ModelPlugin } from '@ssbench/core';
import { SsbenchError } from '@ssbench/core';
import type { GraphBuilder, ParamInit, Value } from '@ssbench/graph';

/** The package name: how configs name this plugin once it is installed. */
export const PACKAGE_NAME = 'ssbench-model-check';

/** The model's version (recorded in results): bump it when the architecture or its defaults change. */
export const MODEL_VERSION = '0.1.0';

/** Options as a config writes them: every field is optional. */
export interface OptionsInput {
  hiddenSize?: number;
  typeVocabSize?: number;
  dropout?: number;
  initializerRange?: number;
}

/** Options with the defaults applied. */
export interface Options {
  hiddenSize: number;
  typeVocabSize: number;
  dropout: number;
  initializerRange: number;
}

const DEFAULTS: Options = { hiddenSize: 64, typeVocabSize: 2, dropout: 0.1, initializerRange: 0.02 };

/** JSON Schema (draft-07) of the options; the runner validates configs against it and fills in the defaults. */
export const optionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'ssbench-model-check options',
  type: 'object',
  additionalProperties: false,
  properties: {
    hiddenSize: { type: 'integer', minimum: 1, default: DEFAULTS.hiddenSize, description: 'Width H of the embeddings and of every output.' },
    typeVocabSize: { type: 'integer', minimum: 1, default: DEFAULTS.typeVocabSize, description: 'Token types (segments): 2 for [CLS] A [SEP] B [SEP].' },
    dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: DEFAULTS.dropout, description: 'Dropout on the token states and the classifier input (training only).' },
    initializerRange: { type: 'number', exclusiveMinimum: 0, default: DEFAULTS.initializerRange, description: 'Std of the normal initialisation of weights and embeddings.' },
  },
};

function optionsError(pointer: string, message: string): SsbenchError {
  return new SsbenchError('config', message, { pointer });
}

/** Applies the defaults and checks the options (also when `create` is called without the runner's validation). */
export function resolveOptions(input: OptionsInput = {}): Options {
  const known = Object.keys(optionsSchema.properties as object);
  for (const k of Object.keys(input)) if (!known.includes(k)) throw optionsError(`/${k}`, `unknown option "${k}" (known: ${known.join(', ')})`);
  const o: Options = { ...DEFAULTS, ...input };
  for (const k of ['hiddenSize', 'typeVocabSize'] as const)
    if (!Number.isInteger(o[k]) || o[k] < 1) throw optionsError(`/${k}`, `${k} must be a positive integer, got ${JSON.stringify(o[k])}`);
  if (!(o.dropout >= 0 && o.dropout < 1)) throw optionsError('/dropout', `dropout must be in [0, 1), got ${JSON.stringify(o.dropout)}`);
  if (!(o.initializerRange > 0)) throw optionsError('/initializerRange', `initializerRange must be > 0, got ${JSON.stringify(o.initializerRange)}`);
  return o;
}

/** Declares a parameter, or returns it when an earlier call (forward, another head) already declared it. */
function param(b: GraphBuilder, name: string, shape: readonly number[], init: ParamInit): Value {
  if (!b.has(name)) return b.param(name, shape, init);
  const v = b.value(name);
  if (v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i]))
    throw new Error(`${PACKAGE_NAME}: parameter ${name} is already declared with shape [${v.shape.join(', ')}], not [${shape.join(', ')}]`);
  return v;
}

export class BagOfEmbeddings implements EncoderModel {
  readonly architecture = 'encoder' as const;
  /** Resolved options and vocabulary size, recorded with results and checkpoints. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly hidden: number;
  readonly options: Options;
  readonly vocabSize: number;

  constructor(options: Options, vocabSize: number) {
    if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new Error(`${PACKAGE_NAME}: vocabSize must be a positive integer, got ${vocabSize}`);
    this.options = options;
    this.vocabSize = vocabSize;
    this.hidden = options.hiddenSize;
    this.config = Object.freeze({ ...options, vocabSize });
  }

  private init(): ParamInit {
    return { kind: 'normal', std: this.options.initializerRange };
  }

  /** torch.nn.Linear on rows: x [n, in] -> x W^T + b [n, out], W stored [out, in]. */
  private linear(b: GraphBuilder, x: Value, prefix: string, inDim: number, outDim: number): Value {
    const w = param(b, `${prefix}.weight`, [outDim, inDim], this.init()); // [out, in]
    const bias = param(b, `${prefix}.bias`, [outDim], { kind: 'zeros' }); // [out]
    return b.gemm(x, w, bias, { transB: true }); // [n, in] @ [out, in]^T + [out] -> [n, out]
  }

  private wordEmbeddings(b: GraphBuilder): Value {
    return param(b, 'embeddings.word_embeddings.weight', [this.vocabSize, this.options.hiddenSize], this.init()); // [V, H]
  }

  forward(b: GraphBuilder, inputs: EncoderInputs, options: ForwardOptions): EncoderOutputs {
    const { hiddenSize: H, typeVocabSize: T, dropout } = this.options;
    const { inputIds, tokenTypeIds, attentionMask } = inputs;
    if (inputIds.shape.length !== 2) throw new Error(`${PACKAGE_NAME}: inputIds must be [batch, seq], got [${inputIds.shape.join(', ')}]`);
    return b.scope('bag', () => {
      const types = param(b, 'embeddings.token_type_embeddings.weight', [T, H], this.init()); // [T, H]
      let tokens = b.add(b.gather(this.wordEmbeddings(b), inputIds), b.gather(types, tokenTypeIds)); // [batch, seq, H]
      if (options.training) tokens = b.dropout(tokens, dropout); // [batch, seq, H]
      const mask = b.unsqueeze(attentionMask, [2]); // [batch, seq] -> [batch, seq, 1]
      const sum = b.reduceSum(b.mul(tokens, mask), [1], false); // [batch, seq, H] -> [batch, H]
      const count = b.max(b.reduceSum(mask, [1], false), 1); // [batch, 1]: real tokens, at least 1 (no 0/0)
      const bag = b.div(sum, count); // [batch, H]
      const sequence = b.add(tokens, b.unsqueeze(bag, [1])); // [batch, seq, H] + [batch, 1, H] -> [batch, seq, H]
      const pooled = b.tanh(this.linear(b, bag, 'pooler.dense', H, H)); // [batch, H]
      return { sequence, pooled };
    });
  }

  /** Masked-LM logits, tied to the word embeddings: hidden [n, H] -> hidden @ E^T + bias [n, V]. */
  mlmLogits(b: GraphBuilder, hidden: Value, _options: ForwardOptions): Value {
    return b.scope('mlm', () => {
      const bias = param(b, 'mlm.bias', [this.vocabSize], { kind: 'zeros' }); // [V]
      return b.gemm(hidden, this.wordEmbeddings(b), bias, { transB: true }); // [n, H] @ [V, H]^T + [V] -> [n, V]
    });
  }

  /** Sentence-pair logits (NSP/SOP): pooled [batch, H] -> [batch, 2]. */
  pairLogits(b: GraphBuilder, pooled: Value): Value {
    return b.scope('pair', () => this.linear(b, pooled, 'pair', this.options.hiddenSize, 2));
  }

  /** Sequence classification logits: pooled [batch, H] -> dropout -> [batch, numLabels]. */
  classifierLogits(b: GraphBuilder, pooled: Value, numLabels: number, options: ForwardOptions): Value {
    if (!Number.isInteger(numLabels) || numLabels < 1) throw new Error(`${PACKAGE_NAME}: numLabels must be a positive integer, got ${numLabels}`);
    const x = options.training ? b.dropout(pooled, this.options.dropout) : pooled; // [batch, H]
    return b.scope('classifier', () => this.linear(b, x, 'classifier', this.options.hiddenSize, numLabels)); // [batch, numLabels]
  }

  /** 2 x multiply-adds per token, heads excluded: the masked sum (H) and the pooler shared by seqLen tokens (H^2 / seqLen). */
  flopsPerToken(seqLen: number): number {
    const H = this.options.hiddenSize;
    return 2 * (H + (H * H) / seqLen);
  }
}

const plugin = {
  kind: 'model' as const,
  name: PACKAGE_NAME,
  version: MODEL_VERSION,
  description: 'Bag-of-embeddings encoder: mean of word + token-type embeddings, tanh pooler, tied masked-LM head.',
  optionsSchema,
  architecture: 'encoder' as const,
  create: (options: OptionsInput, ctx: ModelContext) => new BagOfEmbeddings(resolveOptions(options), ctx.vocabSize),
} satisfies ModelPlugin<OptionsInput>;

export default plugin;
