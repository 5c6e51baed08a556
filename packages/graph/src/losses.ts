/**
 * Loss functions built from IR ops.
 *
 * Softmax cross-entropy as LogSoftmax + GatherElements: the gradient flows through ScatterElements instead of
 * a OneHot/MatMul, which STACK.md measured as the cheap formulation on onnxruntime's CPU kernels.
 */
import type { GraphBuilder, Value } from './builder';

/**
 * Mean negative log-likelihood of `labels` under softmax(`logits`).
 * logits: [n, classes] float32; labels: [n, 1] int32; weights: optional [n, 1] float32 (0 excludes a row,
 * e.g. padding of a fixed-size MLM prediction list). Returns a scalar: sum(w * nll) / max(sum(w), 1e-6)
 * with weights, mean(nll) without.
 */
export function softmaxCrossEntropy(b: GraphBuilder, logits: Value, labels: Value, weights?: Value): Value {
  const logp = b.logSoftmax(logits, -1); // [n, classes]
  const picked = b.gatherElements(logp, labels, 1); // [n, 1]
  if (!weights) return b.neg(b.reduceMean(picked, [0, 1], false)); // []
  const total = b.reduceSum(b.mul(picked, weights), [0, 1], false); // []
  const count = b.max(b.reduceSum(weights, [0, 1], false), 1e-6); // []
  return b.neg(b.div(total, count));
}

/** Fraction of rows whose argmax equals the label, as a float (weights as above). Not differentiable. */
export function accuracyOf(b: GraphBuilder, logits: Value, labels: Value): Value {
  // A row is correct when the label's logit equals the row maximum (ties count as correct).
  const best = b.reduceMax(logits, [1], true); // [n, 1]
  const picked = b.gatherElements(logits, labels, 1); // [n, 1]
  return b.reduceMean(b.cast(b.equal(picked, best), 'float32'), [0, 1], false); // []
}

/**
 * Mean squared error: mean((predicted - target)^2) over every element, a scalar (Hugging Face's regression loss of
 * BertForSequenceClassification with one label). predicted and target: the same shape, e.g. [n, 1] float32.
 */
export function meanSquaredError(b: GraphBuilder, predicted: Value, target: Value): Value {
  const diff = b.sub(predicted, target); // [n, 1]
  return b.reduceMean(b.mul(diff, diff), diff.shape.map((_, i) => i), false); // []
}
