import { describe, expect, it } from 'vitest';
import { bestSpan, charSpanToTokens, chooseAnswer, slidingWindows } from './span';

describe('bestSpan', () => {
  // Positions: 0 [CLS], 1-2 question, 3 [SEP], 4-8 context, 9 [SEP].
  const context = { first: 4, last: 8 };
  const start = [5, 9, 0, 9, 1, 3, 0.5, 0, 2];
  const end = [4, 0, 9, 9, 0, 0.5, 1, 4, 0];

  it('maximises start + end over valid spans inside the context, start <= end', () => {
    // Outside the context (question, [SEP]) the logits are huge but never chosen.
    // Candidates: (5,7) = 3 + 4 = 7 beats (4,7) = 5 and (8,8) = 2; (7,5) is invalid (end before start).
    expect(bestSpan(start, end, context, 30)).toEqual({ best: { start: 5, end: 7, score: 7 }, nullScore: 9 });
  });

  it('respects the maximum answer length', () => {
    // Length <= 2: (5,6) = 4, (6,7) = 4.5, (7,7) = 4 -> (6,7). Length 1: (5,5) 3.5, (6,6) 1.5, (7,7) 4 -> (7,7).
    expect(bestSpan(start, end, context, 2).best).toEqual({ start: 6, end: 7, score: 4.5 });
    expect(bestSpan(start, end, context, 1).best).toEqual({ start: 7, end: 7, score: 4 });
    expect(() => bestSpan(start, end, context, 0)).toThrow(/maxAnswerTokens/);
  });

  it('ties go to the earliest start, then the shortest span', () => {
    expect(bestSpan([0, 0, 1, 1], [0, 0, 1, 1], { first: 1, last: 3 }, 5).best).toEqual({ start: 2, end: 2, score: 2 });
  });

  it('an empty context window has no span but still a null score', () => {
    expect(bestSpan([1, 2, 3], [4, 5, 6], { first: 2, last: 1 }, 5)).toEqual({ best: null, nullScore: 5 });
  });
});

describe('chooseAnswer', () => {
  const w = (score: number, text: string, nullScore: number) => ({ best: { start: 1, end: 1, score, text }, nullScore });

  it('takes the best-scoring span over windows', () => {
    expect(chooseAnswer([w(3, 'first', 0), w(5, 'second', 1), w(4, 'third', 2)], false)).toBe('second');
  });

  it('SQuAD 2.0: the empty answer when the smallest null score beats the best span', () => {
    // min null score 6 > best span 5 -> no answer; 4 < 5 -> the span.
    expect(chooseAnswer([w(3, 'a', 6), w(5, 'b', 7)], true)).toBe('');
    expect(chooseAnswer([w(3, 'a', 6), w(5, 'b', 4)], true)).toBe('b');
    // Without null answers allowed, the span whatever the null score.
    expect(chooseAnswer([w(3, 'a', 6), w(5, 'b', 7)], false)).toBe('b');
    // No valid span anywhere: empty.
    expect(chooseAnswer([{ best: null, nullScore: 0 }], false)).toBe('');
  });
});

describe('slidingWindows and charSpanToTokens', () => {
  it('windows every stride tokens until the end is covered', () => {
    expect(slidingWindows(10, 4, 2)).toEqual([
      [0, 4],
      [2, 6],
      [4, 8],
      [6, 10],
    ]);
    expect(slidingWindows(3, 4, 2)).toEqual([[0, 3]]);
    expect(slidingWindows(0, 4, 2)).toEqual([[0, 0]]);
    expect(() => slidingWindows(5, 0, 1)).toThrow(/>= 1/);
  });

  it('maps a character span to the tokens overlapping it', () => {
    // "The cat sat." tokens: The [0,3) cat [4,7) sat [8,11) . [11,12)
    const offsets: [number, number][] = [
      [0, 3],
      [4, 7],
      [8, 11],
      [11, 12],
    ];
    expect(charSpanToTokens(offsets, 4, 11)).toEqual([1, 2]);
    expect(charSpanToTokens(offsets, 5, 6)).toEqual([1, 1]); // inside one token
    expect(charSpanToTokens(offsets, 3, 4)).toBeNull(); // only the space
    expect(charSpanToTokens(offsets, 0, 12)).toEqual([0, 3]);
  });
});
