/**
 * Classification metrics and summary statistics, with scikit-learn's and numpy's conventions so numbers
 * can be checked against them.
 *
 * Argument order is `(pred, gold)` throughout (note: scikit-learn's is `(y_true, y_pred)`).
 * Labels are numbers or strings (not a mix); "the labels" of a metric are, as in scikit-learn's
 * `unique_labels`, the sorted union of the labels seen in gold and pred unless given explicitly.
 */

export type Label = number | string;

function checkPair(pred: readonly Label[], gold: readonly Label[], fn: string): void {
  if (pred.length !== gold.length) {
    throw new RangeError(`${fn}: pred has ${pred.length} labels but gold has ${gold.length}`);
  }
  if (pred.length === 0) throw new RangeError(`${fn}: no examples`);
}

/** Sorted union of the labels in the given arrays (numbers numerically, strings by code unit). */
export function uniqueLabels(...arrays: readonly (readonly Label[])[]): Label[] {
  const set = new Set<Label>();
  for (const a of arrays) for (const x of a) set.add(x);
  const labels = [...set];
  const numeric = labels.filter((x) => typeof x === 'number').length;
  if (numeric !== 0 && numeric !== labels.length) {
    throw new TypeError('labels mix numbers and strings');
  }
  return numeric > 0
    ? (labels as number[]).sort((a, b) => a - b)
    : (labels as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Fraction of positions where pred equals gold. */
export function accuracy(pred: readonly Label[], gold: readonly Label[]): number {
  checkPair(pred, gold, 'accuracy');
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === gold[i]) correct++;
  return correct / pred.length;
}

export interface ConfusionMatrix {
  /** Row and column order. */
  labels: Label[];
  /** matrix[i][j] = number of examples with gold labels[i] predicted as labels[j] (rows gold, as sklearn). */
  matrix: number[][];
}

/**
 * Confusion matrix with gold labels as rows and predictions as columns (scikit-learn's layout).
 * With `labels` given, examples whose gold or pred label is not among them are left out (as sklearn does).
 */
export function confusionMatrix(pred: readonly Label[], gold: readonly Label[], labels?: readonly Label[]): ConfusionMatrix {
  checkPair(pred, gold, 'confusionMatrix');
  const order = labels !== undefined ? [...labels] : uniqueLabels(gold, pred);
  if (order.length === 0) throw new RangeError('confusionMatrix: labels is empty');
  const index = new Map<Label, number>();
  order.forEach((l, i) => {
    if (index.has(l)) throw new RangeError(`confusionMatrix: label ${JSON.stringify(l)} given twice`);
    index.set(l, i);
  });
  const matrix = order.map(() => new Array<number>(order.length).fill(0));
  for (let k = 0; k < pred.length; k++) {
    const i = index.get(gold[k]);
    const j = index.get(pred[k]);
    if (i !== undefined && j !== undefined) matrix[i][j]++;
  }
  return { labels: order, matrix };
}

export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

export interface PrfOptions {
  /**
   * 'binary': the scores of `positiveLabel` only (at most two distinct labels allowed).
   * 'macro': the unweighted mean over labels of each label's precision, recall and F1.
   */
  average: 'macro' | 'binary';
  /** For 'binary'; default 1 (as sklearn's pos_label). */
  positiveLabel?: Label;
  /** For 'macro': the labels to average over (default: the union of labels in gold and pred). */
  labels?: readonly Label[];
}

/** p / q, or 0 when q is 0 (sklearn's zero_division behaviour, which warns and returns 0). */
function safeDiv(p: number, q: number): number {
  return q === 0 ? 0 : p / q;
}

function prfOfLabel(pred: readonly Label[], gold: readonly Label[], label: Label): PrecisionRecallF1 {
  let tp = 0;
  let predicted = 0; // tp + fp
  let actual = 0; // tp + fn
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] === label;
    const g = gold[i] === label;
    if (p) predicted++;
    if (g) actual++;
    if (p && g) tp++;
  }
  // F1 as sklearn computes it: 2tp / (2tp + fp + fn), 0 when that denominator is 0.
  return {
    precision: safeDiv(tp, predicted),
    recall: safeDiv(tp, actual),
    f1: safeDiv(2 * tp, predicted + actual),
  };
}

/**
 * Precision, recall and F1 with scikit-learn's conventions (`precision_recall_fscore_support` with the
 * default zero_division): a ratio with a zero denominator is 0. Macro-F1 is the mean of per-label F1s,
 * not the F1 of the mean precision and recall.
 */
export function precisionRecallF1(pred: readonly Label[], gold: readonly Label[], options: PrfOptions): PrecisionRecallF1 {
  checkPair(pred, gold, 'precisionRecallF1');
  if (options.average === 'binary') {
    const positive = options.positiveLabel ?? 1;
    const present = uniqueLabels(gold, pred);
    if (present.length > 2) {
      throw new RangeError(
        `precisionRecallF1: average 'binary' needs at most two labels, found ${present.length}: ${present.map((l) => JSON.stringify(l)).join(', ')}; use average 'macro'`,
      );
    }
    if (present.length === 2 && !present.includes(positive)) {
      throw new RangeError(
        `precisionRecallF1: positiveLabel ${JSON.stringify(positive)} is not one of the labels ${present.map((l) => JSON.stringify(l)).join(', ')}`,
      );
    }
    return prfOfLabel(pred, gold, positive);
  }
  if (options.average !== 'macro') {
    throw new RangeError(`precisionRecallF1: unknown average ${JSON.stringify(options.average)}`);
  }
  const labels = options.labels !== undefined ? [...options.labels] : uniqueLabels(gold, pred);
  if (labels.length === 0) throw new RangeError('precisionRecallF1: labels is empty');
  let p = 0;
  let r = 0;
  let f = 0;
  for (const label of labels) {
    const s = prfOfLabel(pred, gold, label);
    p += s.precision;
    r += s.recall;
    f += s.f1;
  }
  return { precision: p / labels.length, recall: r / labels.length, f1: f / labels.length };
}

/**
 * Matthews correlation coefficient, multiclass, as scikit-learn's `matthews_corrcoef` computes it from the
 * confusion matrix C (rows gold, columns pred), with t = row sums, p = column sums, s = number of samples,
 * c = trace(C):  (c*s - t.p) / sqrt((s^2 - p.p) * (s^2 - t.t)), and 0 when the denominator is 0.
 */
export function matthewsCorrcoef(pred: readonly Label[], gold: readonly Label[]): number {
  const { matrix } = confusionMatrix(pred, gold);
  const k = matrix.length;
  const t = new Array<number>(k).fill(0);
  const p = new Array<number>(k).fill(0);
  let c = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      t[i] += matrix[i][j];
      p[j] += matrix[i][j];
    }
    c += matrix[i][i];
  }
  const s = pred.length;
  let tp = 0;
  let pp = 0;
  let tt = 0;
  for (let i = 0; i < k; i++) {
    tp += t[i] * p[i];
    pp += p[i] * p[i];
    tt += t[i] * t[i];
  }
  const covYtYp = c * s - tp;
  const covYpYp = s * s - pp;
  const covYtYt = s * s - tt;
  if (covYpYp * covYtYt === 0) return 0;
  return covYtYp / Math.sqrt(covYtYt * covYpYp);
}

// ---- summary statistics -------------------------------------------------------------------------------

function checkValues(values: readonly number[], fn: string): void {
  if (values.length === 0) throw new RangeError(`${fn}: no values`);
  for (const v of values) {
    if (Number.isNaN(v)) throw new RangeError(`${fn}: NaN among the values`);
  }
}

/** Mean and sample standard deviation (n - 1 in the denominator; 0 for a single value). */
export function meanStd(values: readonly number[]): { mean: number; std: number; n: number } {
  checkValues(values, 'meanStd');
  const n = values.length;
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n === 1) return { mean, std: 0, n };
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(ss / (n - 1)), n };
}

/** numpy's lerp: exact at both ends (a + (b-a)t for t < 0.5, b - (b-a)(1-t) otherwise). */
function lerp(a: number, b: number, t: number): number {
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/**
 * The p-th percentile (p in [0, 100]) with linear interpolation between closest ranks, as numpy's default
 * (`method='linear'`): the value at fractional index p/100 * (n - 1) of the sorted values.
 */
export function percentile(values: readonly number[], p: number): number {
  checkValues(values, 'percentile');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be in [0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return lerp(sorted[lo], sorted[hi], pos - lo);
}

/** The median, as numpy's: the middle value, or the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  checkValues(values, 'median');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// ---- correlation (regression metrics: STS-B, stability, fluorescence) -----------------------------------

function checkCorrelationPair(pred: readonly number[], gold: readonly number[], fn: string): void {
  if (pred.length !== gold.length) throw new RangeError(`${fn}: pred has ${pred.length} values but gold has ${gold.length}`);
  if (pred.length < 2) throw new RangeError(`${fn}: needs at least 2 values, got ${pred.length}`);
}

const isConstant = (xs: readonly number[]) => xs.every((x) => x === xs[0]);

/** r of two series already checked: NaN when either holds a NaN or is constant; clipped to [-1, 1]. */
function pearsonOf(x: readonly number[], y: readonly number[]): number {
  if (x.some(Number.isNaN) || y.some(Number.isNaN) || isConstant(x) || isConstant(y)) return Number.NaN;
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  // Two passes (means first): the sums of products of deviations do not lose precision to large means.
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const r = sxy / (Math.sqrt(sxx) * Math.sqrt(syy));
  return Math.max(-1, Math.min(1, r));
}

/**
 * Pearson's correlation coefficient, the statistic of `scipy.stats.pearsonr(gold, pred)` (symmetric, so the
 * argument order does not matter). As scipy, a constant input gives NaN (scipy also warns with
 * ConstantInputWarning): the coefficient is undefined, not 0. A NaN among the values gives NaN (scipy's default
 * nan_policy 'propagate'), so a diverged model scores NaN rather than stopping the run. Needs at least 2 values.
 */
export function pearsonCorrcoef(pred: readonly number[], gold: readonly number[]): number {
  checkCorrelationPair(pred, gold, 'pearsonCorrcoef');
  return pearsonOf(pred, gold);
}

/**
 * 1-based ranks with ties given the mean of the ranks they span, as `scipy.stats.rankdata(method='average')`:
 * [10, 20, 20, 30] -> [1, 2.5, 2.5, 4].
 */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Array<number>(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    // Positions start..end-1 (0-based) hold one tied value: ranks start+1..end, mean (start + 1 + end) / 2.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

/**
 * Spearman's rank correlation, the statistic of `scipy.stats.spearmanr(gold, pred)`: Pearson's r of the
 * average ranks (ties share the mean of their ranks). Constant input (all values tied) gives NaN, as scipy;
 * a NaN among the values gives NaN. Needs at least 2 values.
 */
export function spearmanCorrcoef(pred: readonly number[], gold: readonly number[]): number {
  checkCorrelationPair(pred, gold, 'spearmanCorrcoef');
  if (pred.some(Number.isNaN) || gold.some(Number.isNaN)) return Number.NaN;
  return pearsonOf(averageRanks(pred), averageRanks(gold));
}

/**
 * Checks a classification task's `score` inputs: as many predictions as gold labels, every id an integer in
 * [0, numLabels). Throws an Error naming the first offending entry.
 */
export function checkLabelIds(predicted: readonly number[], gold: readonly number[], numLabels: number): void {
  if (predicted.length !== gold.length) throw new Error(`score: ${predicted.length} predictions for ${gold.length} gold labels`);
  for (const [what, xs] of [
    ['predicted', predicted],
    ['gold', gold],
  ] as const) {
    const i = xs.findIndex((x) => !Number.isInteger(x) || x < 0 || x >= numLabels);
    if (i >= 0) throw new Error(`score: ${what}[${i}] is ${xs[i]}, expected a label id in [0, ${numLabels})`);
  }
}
