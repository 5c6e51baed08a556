/**
 * Extractive QA decoding (BERT's SQuAD recipe, google-research/bert `run_squad.py`): sliding windows over a long
 * context, the best valid span of a window by start + end logit, and the answer of an example over its windows.
 *
 * Departure from run_squad.py: the best span is the exact maximum over all valid (start, end) pairs of the
 * window, not the best of the top-20 start and top-20 end positions (an approximation of the same maximum).
 */

/** A span of token positions with its score (start logit + end logit). */
export interface SpanCandidate {
  start: number;
  end: number;
  score: number;
}

/** The best span of one window (null: the window has no valid span) and its null ([CLS]) score. */
export interface WindowSpans {
  best: SpanCandidate | null;
  /** startLogits[0] + endLogits[0]: the score of "no answer" ([CLS] as both start and end). */
  nullScore: number;
}

/**
 * Best valid span of one window: start <= end, end - start + 1 <= maxAnswerTokens, both inside the context segment
 * [first, last] (so never [CLS], the question or a [SEP]), maximising startLogits[start] + endLogits[end]. Ties go
 * to the earliest start, then the shortest span. Pure; O(context length x maxAnswerTokens).
 */
export function bestSpan(
  startLogits: ArrayLike<number>,
  endLogits: ArrayLike<number>,
  context: { first: number; last: number },
  maxAnswerTokens: number,
): WindowSpans {
  if (!(Number.isInteger(maxAnswerTokens) && maxAnswerTokens >= 1)) throw new RangeError(`maxAnswerTokens must be a positive integer, got ${maxAnswerTokens}`);
  const n = Math.min(startLogits.length, endLogits.length);
  const first = Math.max(0, context.first);
  const last = Math.min(n - 1, context.last);
  let best: SpanCandidate | null = null;
  for (let s = first; s <= last; s++) {
    const stop = Math.min(last, s + maxAnswerTokens - 1);
    for (let e = s; e <= stop; e++) {
      const score = startLogits[s] + endLogits[e];
      if (best === null || score > best.score) best = { start: s, end: e, score };
    }
  }
  return { best, nullScore: n > 0 ? startLogits[0] + endLogits[0] : Number.NEGATIVE_INFINITY };
}

/**
 * The answer of one example from its windows (each window's best span, its text already cut out of the context):
 * the text of the best-scoring span over all windows. With `allowNull` (SQuAD 2.0), the empty string when the
 * smallest null score over the windows beats that span's score (run_squad.py with null_score_diff_threshold 0);
 * without it, the empty string only when no window has a valid span.
 */
export function chooseAnswer(windows: readonly { best: (SpanCandidate & { text: string }) | null; nullScore: number }[], allowNull: boolean): string {
  let best: (SpanCandidate & { text: string }) | null = null;
  let nullScore = Number.POSITIVE_INFINITY;
  for (const w of windows) {
    if (w.best && (best === null || w.best.score > best.score)) best = w.best;
    nullScore = Math.min(nullScore, w.nullScore);
  }
  if (best === null) return '';
  if (allowNull && nullScore > best.score) return '';
  return best.text;
}

/**
 * Windows `[start, end)` of at most `size` tokens over a context of `length` tokens, starting every `stride` tokens
 * until one reaches the end (run_squad.py's doc spans). A context that fits gives one window; an empty one gives
 * one empty window.
 */
export function slidingWindows(length: number, size: number, stride: number): [number, number][] {
  if (!(size >= 1 && stride >= 1)) throw new RangeError(`window size and stride must be >= 1, got ${size} and ${stride}`);
  const out: [number, number][] = [];
  for (let start = 0; ; start += stride) {
    const end = Math.min(length, start + size);
    out.push([start, end]);
    if (end >= length) return out;
  }
}

/**
 * Token span `[first, last]` (inclusive) covering the characters `[charStart, charEnd)` of a text, from the tokens'
 * character offsets: the first token ending after charStart and the last starting before charEnd. null when no
 * token overlaps the characters (an answer made of whitespace, or outside the text).
 */
export function charSpanToTokens(offsets: readonly (readonly [number, number])[], charStart: number, charEnd: number): [number, number] | null {
  let first = -1;
  let last = -1;
  for (let i = 0; i < offsets.length; i++) {
    const [s, e] = offsets[i];
    if (e > charStart && s < charEnd) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return first < 0 ? null : [first, last];
}
