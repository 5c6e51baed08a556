/**
 * The official SQuAD metrics, written from the evaluation scripts' definitions ("Official evaluation script for
 * v1.1 of the SQuAD dataset" and "Official evaluation script for SQuAD version 2.0", Rajpurkar et al.):
 *
 *  - normalize_answer: lower-case; delete every ASCII punctuation character (Python's `string.punctuation`);
 *    replace the whole words "a", "an", "the" by a space; collapse whitespace (`' '.join(s.split())`).
 *  - exact match: 1 when the normalised prediction equals the normalised gold answer.
 *  - F1: over the bags (multisets) of whitespace tokens of the normalised strings; 2PR / (P + R).
 *  - max over the gold answers, mean over questions, x 100.
 *
 * Unanswerable questions (SQuAD 2.0) follow the v2.0 script: gold answers that normalise to the empty string are
 * dropped; a question with none left has the single gold answer "" and a prediction scores 1 (both EM and F1)
 * only when it normalises to the empty string too; F1 between an empty and a non-empty token list is 0.
 * For SQuAD 1.1 data this gives the v1.1 script's numbers except for a gold answer that normalises to ""
 * (e.g. "the"), which the v1.1 script keeps: only an empty prediction could score differently there.
 */

// Python's string.punctuation: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ (ASCII only; "’" or "—" are kept).
const PUNCTUATION_RE = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
// Python 3's \b in `\b(a|an|the)\b` is Unicode-aware: a word character is a letter, a digit or "_".
const ARTICLES_RE = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/** SQuAD's normalize_answer. */
export function normalizeAnswer(s: string): string {
  const lower = s.toLowerCase();
  const noPunct = lower.replace(PUNCTUATION_RE, '');
  const noArticles = noPunct.replace(ARTICLES_RE, ' ');
  return whitespaceTokens(noArticles).join(' ');
}

function whitespaceTokens(s: string): string[] {
  return s.split(/\s+/).filter((t) => t.length > 0);
}

/** 1 when the normalised strings are equal, else 0. */
export function exactMatch(prediction: string, gold: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(gold) ? 1 : 0;
}

/** Token-bag F1 of the normalised strings (v2.0 rule when either is empty: 1 if both are, else 0). */
export function tokenF1(prediction: string, gold: string): number {
  const p = whitespaceTokens(normalizeAnswer(prediction));
  const g = whitespaceTokens(normalizeAnswer(gold));
  if (p.length === 0 || g.length === 0) return p.length === g.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of g) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of p) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / p.length;
  const recall = same / g.length;
  return (2 * precision * recall) / (precision + recall);
}

/** The gold answers a prediction is scored against: those not normalising to "", or [""] when none is left. */
export function scoredGoldAnswers(golds: readonly string[]): string[] {
  const kept = golds.filter((g) => normalizeAnswer(g) !== '');
  return kept.length > 0 ? kept : [''];
}

/** EM and F1 of one prediction: the maximum over the gold answers (each 0..1). */
export function scoreOne(prediction: string, golds: readonly string[]): { exact: number; f1: number } {
  let exact = 0;
  let f1 = 0;
  for (const g of scoredGoldAnswers(golds)) {
    exact = Math.max(exact, exactMatch(prediction, g));
    f1 = Math.max(f1, tokenF1(prediction, g));
  }
  return { exact, f1 };
}

export type SquadScores = {
  /** Mean exact match x 100. */
  exact_match: number;
  /** Mean F1 x 100. */
  f1: number;
  /** Over answerable questions only (NaN when there are none); x 100. */
  has_ans_exact_match: number;
  has_ans_f1: number;
  /** Over unanswerable questions only (NaN when there are none): the share predicted empty, x 100. */
  no_ans_exact_match: number;
  has_ans_count: number;
  no_ans_count: number;
};

/**
 * Scores predicted answer strings ("" = no answer) against each question's gold answer texts (an empty list:
 * unanswerable). Means are over questions, x 100, as the official scripts report them.
 */
export function squadScores(predicted: readonly string[], golds: readonly (readonly string[])[]): SquadScores {
  if (predicted.length !== golds.length) throw new Error(`score: ${predicted.length} predictions for ${golds.length} questions`);
  if (predicted.length === 0) throw new Error('score: no questions to score');
  const sum = { exact: 0, f1: 0, hasExact: 0, hasF1: 0, noExact: 0 };
  let hasCount = 0;
  let noCount = 0;
  for (let i = 0; i < predicted.length; i++) {
    if (typeof predicted[i] !== 'string') throw new Error(`score: predicted[${i}] is ${JSON.stringify(predicted[i])}, expected a string`);
    const s = scoreOne(predicted[i], golds[i]);
    sum.exact += s.exact;
    sum.f1 += s.f1;
    const answerable = scoredGoldAnswers(golds[i])[0] !== '';
    if (answerable) {
      hasCount++;
      sum.hasExact += s.exact;
      sum.hasF1 += s.f1;
    } else {
      noCount++;
      sum.noExact += s.exact;
    }
  }
  const n = predicted.length;
  const mean = (x: number, count: number) => (count === 0 ? Number.NaN : (100 * x) / count);
  return {
    exact_match: mean(sum.exact, n),
    f1: mean(sum.f1, n),
    has_ans_exact_match: mean(sum.hasExact, hasCount),
    has_ans_f1: mean(sum.hasF1, hasCount),
    no_ans_exact_match: mean(sum.noExact, noCount),
    has_ans_count: hasCount,
    no_ans_count: noCount,
  };
}
