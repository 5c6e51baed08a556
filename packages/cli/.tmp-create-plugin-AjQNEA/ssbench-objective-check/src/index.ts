/**
 * ssbench-objective-check: an ssbench pretraining-objective plugin.
 *
 * The objective: masked-token prediction, a simplified form of BERT's masked LM (Devlin et al. 2019). The sentences
 * of each document are packed into rows `[CLS] tokens [SEP]` of at most `seqLen` ids (a row never spans two
 * documents). In each row, round(probability x n) of its n tokens (at least one; never [CLS] or [SEP]) are chosen
 * uniformly at random and replaced by [MASK] (BERT also keeps 10% of them and swaps 10% for random tokens: not
 * here), and the model predicts the original ids at those positions with its masked-LM head. The loss is the mean
 * softmax cross-entropy over every masked position of the batch; `mlm_accuracy` is logged beside it.
 *
 * Randomness comes only from the `rng` the runner passes to `batches` (seeded), never from Math.random, so the
 * same seed makes the same batches on every backend.
 */
import type { Batch, JSONSchema, ModelInstance, ObjectiveContext, ObjectiveInstance, ObjectivePlugin, RandomSource, TokenizedCorpus } from '@ssbench/core';
import { SsbenchError } from '@ssbench/core';
import { type GraphBuilder, type Value, accuracyOf, softmaxCrossEntropy, tensor } from '@ssbench/graph';

/** The package name: how configs name this plugin once it is installed. */
export const PACKAGE_NAME = 'ssbench-objective-check';

/** The objective's version (recorded in results): bump it when batches or the loss change. */
export const OBJECTIVE_VERSION = '0.1.0';

/** Options as a config writes them: every field is optional. */
export interface OptionsInput {
  probability?: number;
}

/** Options with the defaults applied. */
export interface Options {
  probability: number;
}

const DEFAULTS: Options = { probability: 0.15 };

/** JSON Schema (draft-07) of the options; the runner validates configs against it and fills in the defaults. */
export const optionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'ssbench-objective-check options',
  type: 'object',
  additionalProperties: false,
  properties: {
    probability: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1,
      default: DEFAULTS.probability,
      description: 'Fraction of each row\'s tokens that are masked and predicted (at least one per row).',
    },
  },
};

/** Applies the defaults and checks the options (also when `create` is called without the runner's validation). */
export function resolveOptions(input: OptionsInput = {}): Options {
  const known = Object.keys(optionsSchema.properties as object);
  for (const k of Object.keys(input)) if (!known.includes(k)) throw new SsbenchError('config', `unknown option "${k}" (known: ${known.join(', ')})`, { pointer: `/${k}` });
  const probability = input.probability ?? DEFAULTS.probability;
  if (!(probability > 0 && probability <= 1)) throw new SsbenchError('config', `probability must be in (0, 1], got ${JSON.stringify(probability)}`, { pointer: '/probability' });
  return { probability };
}

/** Packs each document's tokens, in order, into rows `[CLS] ... [SEP]` of at most seqLen ids. */
export function packRows(corpus: TokenizedCorpus, seqLen: number, cls: number, sep: number): number[][] {
  if (!Number.isInteger(seqLen) || seqLen < 3) throw new Error(`${PACKAGE_NAME}: seqLen must be at least 3 ([CLS] token [SEP]), got ${seqLen}`);
  const rows: number[][] = [];
  for (const doc of corpus.documents) {
    const tokens = doc.sentences.flatMap((s) => s.ids);
    for (let start = 0; start < tokens.length; start += seqLen - 2) rows.push([cls, ...tokens.slice(start, start + seqLen - 2), sep]);
  }
  return rows;
}

/** A row with some tokens masked: the model's input, and the positions and original ids to predict. */
export interface MaskedRow {
  inputIds: number[];
  /** Masked positions in the row, ascending. */
  positions: number[];
  /** The original id at each masked position. */
  labels: number[];
}

/** Masks round(probability x n) of the n tokens between [CLS] and [SEP] (at least one), chosen uniformly. */
export function maskRow(row: readonly number[], probability: number, maskId: number, rng: RandomSource): MaskedRow {
  const candidates = Array.from({ length: row.length - 2 }, (_, i) => i + 1); // every position but [CLS] and [SEP]
  const k = Math.min(candidates.length, Math.max(1, Math.round(probability * candidates.length)));
  // A partial Fisher-Yates shuffle: the first k candidates become a uniform random k-subset.
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(candidates.length - i);
    [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
  }
  const positions = candidates.slice(0, k).sort((a, b) => a - b);
  const inputIds = [...row];
  for (const p of positions) inputIds[p] = maskId;
  return { inputIds, positions, labels: positions.map((p) => row[p]) };
}

class MaskedTokenObjective implements ObjectiveInstance {
  private readonly options: Options;
  private readonly ctx: ObjectiveContext;

  constructor(options: Options, ctx: ObjectiveContext) {
    this.options = options;
    this.ctx = ctx;
  }

  buildLoss(b: GraphBuilder, model: ModelInstance): { loss: Value; metrics: Record<string, Value> } {
    if (model.architecture !== 'encoder') throw new Error(`${PACKAGE_NAME} trains encoder models, not ${model.architecture} models`);
    const training = { training: true };
    const inputs = {
      inputIds: b.input('input_ids', 'int32', ['batch', 'seq']),
      tokenTypeIds: b.input('token_type_ids', 'int32', ['batch', 'seq']),
      attentionMask: b.input('attention_mask', 'float32', ['batch', 'seq']),
    };
    // Flat indices (row * seq + position) of the masked tokens of the whole batch, and their original ids.
    const positions = b.input('mlm_positions', 'int32', ['predictions']);
    const labels = b.input('mlm_labels', 'int32', ['predictions', 1]);
    const out = model.forward(b, inputs, training);
    const flat = b.reshape(out.sequence, [-1, model.hidden]); // [batch, seq, H] -> [batch*seq, H]
    const picked = b.gather(flat, positions, 0); // [predictions, H]
    const logits = model.mlmLogits(b, picked, training); // [predictions, V]
    const loss = softmaxCrossEntropy(b, logits, labels); // []
    return { loss, metrics: { mlm_accuracy: accuracyOf(b, logits, labels) } };
  }

  *batches(corpus: TokenizedCorpus, batchSize: number, rng: RandomSource): Iterator<Batch> {
    const { seqLen, specialIds } = this.ctx;
    const rows = packRows(corpus, seqLen, specialIds.cls, specialIds.sep);
    if (rows.length === 0) throw new SsbenchError('data', 'the pretraining corpus has no tokens');
    // An endless stream of row indices: each pass over the rows in a fresh random order.
    let order: number[] = [];
    const next = (): number => {
      if (order.length === 0) {
        order = rows.map((_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      return order.pop() as number;
    };
    for (;;) yield this.batch(Array.from({ length: batchSize }, () => rows[next()]), rng);
  }

  private batch(rows: readonly number[][], rng: RandomSource): Batch {
    const { pad, mask: maskId } = this.ctx.specialIds;
    const n = rows.length;
    const seq = Math.max(...rows.map((r) => r.length));
    const ids = new Int32Array(n * seq).fill(pad); // [n, seq]
    const attention = new Float32Array(n * seq); // [n, seq]
    const positions: number[] = [];
    const labels: number[] = [];
    rows.forEach((row, r) => {
      const m = maskRow(row, this.options.probability, maskId, rng);
      ids.set(m.inputIds, r * seq);
      attention.fill(1, r * seq, r * seq + row.length);
      for (let k = 0; k < m.positions.length; k++) {
        positions.push(r * seq + m.positions[k]);
        labels.push(m.labels[k]);
      }
    });
    return {
      input_ids: tensor('int32', [n, seq], ids),
      token_type_ids: tensor('int32', [n, seq]), // one segment: all zeros
      attention_mask: tensor('float32', [n, seq], attention),
      mlm_positions: tensor('int32', [positions.length], positions),
      mlm_labels: tensor('int32', [labels.length, 1], labels),
    };
  }
}

const plugin = {
  kind: 'objective' as const,
  name: PACKAGE_NAME,
  version: OBJECTIVE_VERSION,
  description: 'Masked-token prediction (BERT\'s masked LM without the 80/10/10 split or a sentence-pair task).',
  optionsSchema,
  requires: ['encoder'] as const,
  create: (options: OptionsInput, ctx: ObjectiveContext): ObjectiveInstance => new MaskedTokenObjective(resolveOptions(options), ctx),
} satisfies ObjectivePlugin<OptionsInput>;

export default plugin;
