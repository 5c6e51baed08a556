/**
 * Trivial answerers for the cloze benchmark: what a model must beat. None of them reads the question's meaning.
 *  - firstCapitalised: the first word of the context that starts with a capital letter (punctuation removed).
 *  - mostFrequentCandidate: the context's most frequent answer candidate (names, numbers, content words, found
 *    with the construction's own rules over the context as one text), ties to the earliest.
 *  - mostFrequentNotInQuestion: the same, ignoring candidates whose text occurs in the question (the answer
 *    never does).
 *  - neighbourMatch: the candidate whose neighbouring words in the context best match the words around the
 *    blank (up to NEIGHBOUR_WORDS on each side, counted outwards until the first mismatch), ties to the
 *    earliest: what matching the question against the context gives.
 * These three use the construction's own candidate rules, so they are an upper bound for such heuristics.
 */
import type { SpanExample } from '@ssbench/core';
import { CLOZE_BLANK, sentenceCandidates } from './cloze';

export type Baseline = (x: SpanExample) => string;

export const firstCapitalised: Baseline = (x) => {
  for (const w of x.context.split(/\s+/)) {
    const core = w.replace(/^[^A-Za-z0-9$]+|[^A-Za-z0-9%]+$/g, '');
    if (/^[A-Z]/.test(core)) return core;
  }
  return '';
};

function mostFrequent(x: SpanExample, skip: (text: string) => boolean): string {
  const counts = new Map<string, number>(); // insertion order = first occurrence
  for (const c of sentenceCandidates(x.context, new Set())) if (!skip(c.text)) counts.set(c.text, (counts.get(c.text) ?? 0) + 1);
  let best = '';
  let bestCount = 0;
  for (const [text, n] of counts)
    if (n > bestCount) {
      best = text;
      bestCount = n;
    }
  return best;
}

export const mostFrequentCandidate: Baseline = (x) => mostFrequent(x, () => false);

export const mostFrequentNotInQuestion: Baseline = (x) => mostFrequent(x, (text) => x.question.includes(text));

/** Words compared on each side of the blank by neighbourMatch. */
export const NEIGHBOUR_WORDS = 3;

const lowerWords = (s: string) => s.toLowerCase().split(/\s+/).filter((w) => w.length > 0);

/** Equal words from the start of a and b, at most NEIGHBOUR_WORDS. */
function sharedRun(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < NEIGHBOUR_WORDS && n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

export const neighbourMatch: Baseline = (x) => {
  const blank = x.question.indexOf(CLOZE_BLANK);
  if (blank < 0) return '';
  const qLeft = lowerWords(x.question.slice(0, blank)).reverse();
  const qRight = lowerWords(x.question.slice(blank + CLOZE_BLANK.length));
  let best = '';
  let bestScore = -1;
  for (const c of sentenceCandidates(x.context, new Set())) {
    const left = lowerWords(x.context.slice(0, c.start)).slice(-NEIGHBOUR_WORDS).reverse();
    const right = lowerWords(x.context.slice(c.end)).slice(0, NEIGHBOUR_WORDS);
    const score = sharedRun(qLeft, left) + sharedRun(qRight, right);
    if (score > bestScore) {
      best = c.text;
      bestScore = score;
    }
  }
  return best;
};

export const BASELINES: Readonly<Record<string, Baseline>> = { firstCapitalised, mostFrequentCandidate, mostFrequentNotInQuestion, neighbourMatch };
