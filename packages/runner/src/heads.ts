/**
 * Task heads on top of a model's forward pass: the graph (evaluation outputs; in training the target inputs and the
 * loss), the target tensors of a batch, and the decoding of the outputs into predictions. One head per kind:
 *
 * - classification: pooled -> `model.classifierLogits` -> softmax cross-entropy (as before).
 * - regression (STS-B): pooled -> `model.classifierLogits(.., 1)` -> mean squared error; the prediction is the
 *   scalar output (BertForSequenceClassification with num_labels = 1).
 * - tagging (BertForTokenClassification): sequence -> dropout -> `classifier.weight` [labels, hidden],
 *   `classifier.bias` -> logits per position; softmax cross-entropy on the first piece of each word only
 *   (weights 1 there, 0 on other pieces, specials and padding; the mean over counted positions).
 * - span (BertForQuestionAnswering): sequence -> `qa_outputs.weight` [2, hidden], `qa_outputs.bias` -> start and
 *   end logits per position; loss = mean of the start and end cross-entropies over positions, padding masked out.
 *
 * The token heads are built by the runner (the model contract has no per-token head); their dropout rate and
 * initialisation std come from the model's own config (see `headHyperparameters`).
 */
import type { EncoderInputs, EncoderOutputs, ModelInstance, TaskHead } from '@ssbench/core';
import { GraphBuilder, type Tensor, type Value, meanSquaredError, softmaxCrossEntropy, tensor } from '@ssbench/graph';
import type { ClassificationRow, EncodedRow, RegressionRow, SpanRow, TaggingRow } from './data';
import { type WindowSpans, bestSpan } from './span';

/** What a head adds to a graph: its evaluation outputs by name, and in training the loss. */
export interface HeadBuild {
  outputs: Record<string, Value>;
  loss: Value | null;
}

export interface Head<R extends EncodedRow> {
  readonly kind: TaskHead['kind'];
  /** The head on the model's outputs: evaluation outputs by name; in training also its target inputs and the loss. */
  build(b: GraphBuilder, model: ModelInstance, inputs: EncoderInputs, enc: EncoderOutputs, training: boolean): HeadBuild;
  /** Target feeds of a training batch of `rows` padded to `seq` positions (graph input name -> tensor). */
  targets(rows: readonly R[], seq: number): Record<string, Tensor>;
}

/**
 * The model with a head: inputs input_ids, token_type_ids, attention_mask ([batch, seq]); evaluation graphs
 * output the head's outputs, training graphs return the loss (for `buildTrainingGraph`).
 */
export function headGraph<R extends EncodedRow>(model: ModelInstance, head: Head<R>, training: boolean): { b: GraphBuilder; loss: Value | null } {
  const b = new GraphBuilder(training ? 'finetune-step' : `${head.kind}-eval`);
  const inputs: EncoderInputs = {
    inputIds: b.input('input_ids', 'int32', ['batch', 'seq']),
    tokenTypeIds: b.input('token_type_ids', 'int32', ['batch', 'seq']),
    attentionMask: b.input('attention_mask', 'float32', ['batch', 'seq']),
  };
  const enc = model.forward(b, inputs, { training });
  const { outputs, loss } = head.build(b, model, inputs, enc, training);
  if (!training) for (const [name, v] of Object.entries(outputs)) b.output(name, v);
  return { b, loss };
}

/**
 * Dropout rate and initialisation std of a runner-built head, from the model's resolved config: BERT's
 * hiddenDropout / GPT-2's residDropout / BART's dropout (0.1 if none), and initializerRange / initStd (0.02).
 */
export function headHyperparameters(config: Readonly<Record<string, unknown>>): { dropout: number; std: number } {
  const num = (...keys: string[]) => keys.map((k) => config[k]).find((v): v is number => typeof v === 'number');
  return { dropout: num('hiddenDropout', 'residDropout', 'dropout') ?? 0.1, std: num('initializerRange', 'initStd') ?? 0.02 };
}

// ---- classification ----------------------------------------------------------------------------------------

export function classificationHead(numLabels: number): Head<ClassificationRow> {
  return {
    kind: 'classification',
    build(b, model, _inputs, enc, training): HeadBuild {
      const logits = model.classifierLogits(b, enc.pooled, numLabels, { training }); // [batch, labels]
      if (!training) return { outputs: { logits }, loss: null };
      const labels = b.input('labels', 'int32', ['batch', 1]);
      return { outputs: { logits }, loss: softmaxCrossEntropy(b, logits, labels) };
    },
    targets: (rows) => ({ labels: tensor('int32', [rows.length, 1], rows.map((r) => r.label)) }),
  };
}

/** Argmax of each row of [n, k] logits (ties: the first). */
export function argmaxRows(logits: Tensor): number[] {
  const [n, k] = logits.shape;
  const d = logits.data as Float32Array;
  const out: number[] = [];
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (d[r * k + c] > d[r * k + best]) best = c;
    out.push(best);
  }
  return out;
}

// ---- regression --------------------------------------------------------------------------------------------

export function regressionHead(): Head<RegressionRow> {
  return {
    kind: 'regression',
    build(b, model, _inputs, enc, training): HeadBuild {
      const predicted = model.classifierLogits(b, enc.pooled, 1, { training }); // [batch, 1]
      if (!training) return { outputs: { logits: predicted }, loss: null };
      const targets = b.input('targets', 'float32', ['batch', 1]);
      return { outputs: { logits: predicted }, loss: meanSquaredError(b, predicted, targets) };
    },
    targets: (rows) => ({ targets: tensor('float32', [rows.length, 1], rows.map((r) => r.target)) }),
  };
}

// ---- tagging -----------------------------------------------------------------------------------------------

export function taggingHead(numLabels: number): Head<TaggingRow> {
  return {
    kind: 'tagging',
    build(b, model, inputs, enc, training): HeadBuild {
      const H = model.hidden;
      const { dropout, std } = headHyperparameters(model.config);
      const rows = b.reshape(enc.sequence, [-1, H]); // [batch, seq, H] -> [batch*seq, H]
      const x = training && dropout > 0 ? b.dropout(rows, dropout) : rows; // [batch*seq, H]
      const w = b.param('classifier.weight', [numLabels, H], { kind: 'normal', std }); // [labels, H]
      const bias = b.param('classifier.bias', [numLabels], { kind: 'zeros' }); // [labels]
      const flat = b.gemm(x, w, bias, { transB: true }); // [batch*seq, H] @ [labels, H]^T + [labels] -> [batch*seq, labels]
      if (!training) {
        const shape = b.concat([b.shapeOf(inputs.inputIds), b.constant(tensor('int64', [1], [numLabels]), 'labels')], 0); // [3] = (batch, seq, labels)
        return { outputs: { logits: b.reshapeTo(flat, shape, ['batch', 'seq', numLabels]) }, loss: null }; // [batch, seq, labels]
      }
      const labels = b.reshape(b.input('tag_labels', 'int32', ['batch', 'seq']), [-1, 1]); // [batch*seq, 1]
      const weights = b.reshape(b.input('tag_weights', 'float32', ['batch', 'seq']), [-1, 1]); // [batch*seq, 1]
      return { outputs: {}, loss: softmaxCrossEntropy(b, flat, labels, weights) };
    },
    targets(rows, seq) {
      const labels = new Int32Array(rows.length * seq); // [batch, seq]: the tag at each word's first piece, else 0
      const weights = new Float32Array(rows.length * seq); // [batch, seq]: 1 at each word's first piece, else 0
      for (const [i, r] of rows.entries())
        for (const [k, p] of r.wordPositions.entries()) {
          labels[i * seq + p] = r.tags[k];
          weights[i * seq + p] = 1;
        }
      return { tag_labels: tensor('int32', [rows.length, seq], labels), tag_weights: tensor('float32', [rows.length, seq], weights) };
    },
  };
}

/** Per row, the argmax tag at each kept word's first piece, from logits [n, seq, labels]. */
export function tagPredictions(rows: readonly TaggingRow[], logits: Tensor): number[][] {
  const [, seq, k] = logits.shape;
  const d = logits.data as Float32Array;
  return rows.map((r, i) =>
    r.wordPositions.map((p) => {
      const at = (i * seq + p) * k;
      let best = 0;
      for (let c = 1; c < k; c++) if (d[at + c] > d[at + best]) best = c;
      return best;
    }),
  );
}

// ---- span --------------------------------------------------------------------------------------------------

/** Subtracted from the logits of padding positions before the softmax over positions (as BERT's attention mask). */
const PADDING_PENALTY = 10000;

export function spanHead(): Head<SpanRow> {
  return {
    kind: 'span',
    build(b, model, inputs, enc, training): HeadBuild {
      const H = model.hidden;
      const { std } = headHyperparameters(model.config);
      const rows = b.reshape(enc.sequence, [-1, H]); // [batch, seq, H] -> [batch*seq, H]
      const w = b.param('qa_outputs.weight', [2, H], { kind: 'normal', std }); // [2, H]
      const bias = b.param('qa_outputs.bias', [2], { kind: 'zeros' }); // [2]
      const both = b.gemm(rows, w, bias, { transB: true }); // [batch*seq, H] @ [2, H]^T + [2] -> [batch*seq, 2]
      const shape = b.shapeOf(inputs.inputIds); // [2] = (batch, seq)
      const start = b.reshapeTo(b.slice(both, [0], [1], [1]), shape, ['batch', 'seq']); // [batch*seq, 1] -> [batch, seq]
      const end = b.reshapeTo(b.slice(both, [1], [2], [1]), shape, ['batch', 'seq']); // [batch*seq, 1] -> [batch, seq]
      if (!training) return { outputs: { start_logits: start, end_logits: end }, loss: null };
      const penalty = b.mul(b.sub(inputs.attentionMask, 1), PADDING_PENALTY); // [batch, seq]: 0 on tokens, -10000 on padding
      const startPositions = b.input('start_positions', 'int32', ['batch', 1]);
      const endPositions = b.input('end_positions', 'int32', ['batch', 1]);
      const startLoss = softmaxCrossEntropy(b, b.add(start, penalty), startPositions); // []
      const endLoss = softmaxCrossEntropy(b, b.add(end, penalty), endPositions); // []
      return { outputs: {}, loss: b.mul(b.add(startLoss, endLoss), 0.5) }; // []
    },
    targets: (rows) => ({
      start_positions: tensor('int32', [rows.length, 1], rows.map((r) => r.start)),
      end_positions: tensor('int32', [rows.length, 1], rows.map((r) => r.end)),
    }),
  };
}

/** Per row (window), its best valid span and null score from start/end logits [n, seq]. */
export function windowSpans(rows: readonly SpanRow[], startLogits: Tensor, endLogits: Tensor, maxAnswerTokens: number): WindowSpans[] {
  const seq = startLogits.shape[1];
  const s = startLogits.data as Float32Array;
  const e = endLogits.data as Float32Array;
  return rows.map((r, i) =>
    bestSpan(s.subarray(i * seq, i * seq + r.ids.length), e.subarray(i * seq, i * seq + r.ids.length), { first: r.contextFirst, last: r.contextLast }, maxAnswerTokens),
  );
}
