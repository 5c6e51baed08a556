import { describe, expect, it } from 'vitest';
import { exactMatch, normalizeAnswer, scoreOne, squadScores, tokenF1 } from './index';

describe('normalizeAnswer (SQuAD normalize_answer)', () => {
  it('lower-cases, drops ASCII punctuation and the articles a/an/the, collapses whitespace', () => {
    expect(normalizeAnswer('The  Quick, brown\tfox!')).toBe('quick brown fox');
    expect(normalizeAnswer('An apple a day')).toBe('apple day');
    expect(normalizeAnswer('  THE end.  ')).toBe('end');
    // Articles only as whole words: "theater", "another", "banana" keep their letters.
    expect(normalizeAnswer('the theater of another banana')).toBe('theater of another banana');
    // Punctuation goes first, so "the-end" becomes the single word "theend" (no article left to drop) ...
    expect(normalizeAnswer('the-end')).toBe('theend');
    // ... and "(a)" becomes the article "a", which is dropped.
    expect(normalizeAnswer('option (a) only')).toBe('option only');
    // Python's \b is Unicode-aware: "the" glued to "é" is not a word of its own; the curly apostrophe is not
    // in string.punctuation and stays.
    expect(normalizeAnswer('éthe café the')).toBe('éthe café');
    expect(normalizeAnswer('Obama\u2019s $1,000 "plan"')).toBe('obama\u2019s 1000 plan');
    expect(normalizeAnswer('The . a , an')).toBe('');
  });
});

describe('exact match and F1', () => {
  it('exact match compares normalised strings', () => {
    expect(exactMatch('the Denver Broncos', 'Denver Broncos!')).toBe(1);
    expect(exactMatch('Denver', 'Denver Broncos')).toBe(0);
  });

  it('F1 counts the common tokens as bags', () => {
    // pred [denver broncos won], gold [denver broncos]: 2 common, P = 2/3, R = 1, F1 = 2PR/(P+R) = 0.8.
    expect(tokenF1('Denver Broncos won', 'the Denver Broncos')).toBeCloseTo(0.8, 12);
    // pred [x x y], gold [x y y]: common = min(2,1) + min(1,2) = 2, P = R = 2/3.
    expect(tokenF1('x x y', 'x y y')).toBeCloseTo(2 / 3, 12);
    // No common token.
    expect(tokenF1('Paris', 'London')).toBe(0);
    // Empty after normalisation (v2.0 rule): equal only when both are empty.
    expect(tokenF1('', 'the')).toBe(1);
    expect(tokenF1('London', '')).toBe(0);
  });

  it('takes the maximum over the gold answers (each metric separately)', () => {
    // F1 vs "Denver Broncos of Colorado": P 1, R 1/4 -> 0.4; vs "Broncos team": P 1, R 1/2 -> 2/3.
    expect(scoreOne('Broncos', ['Denver Broncos of Colorado', 'Broncos team'])).toEqual({ exact: 0, f1: expect.closeTo(2 / 3, 12) });
    // EM from the third answer once normalised.
    expect(scoreOne('Broncos', ['Denver Broncos', 'Broncos team', 'the Broncos.'])).toEqual({ exact: 1, f1: 1 });
  });
});

describe('squadScores', () => {
  it('averages over questions, x 100', () => {
    const s = squadScores(
      ['Denver Broncos', 'Denver Broncos won', 'Paris'],
      [['the Denver Broncos'], ['Denver Broncos'], ['London', 'UK']],
    );
    // EM [1, 0, 0], F1 [1, 0.8, 0].
    expect(s.exact_match).toBeCloseTo(100 / 3, 10);
    expect(s.f1).toBeCloseTo(60, 10);
    expect(s.has_ans_count).toBe(3);
    expect(s.no_ans_count).toBe(0);
    expect(s.has_ans_f1).toBeCloseTo(60, 10);
    expect(s.no_ans_exact_match).toBeNaN();
  });

  it('SQuAD 2.0: an unanswerable question is correct only with an empty prediction', () => {
    const s = squadScores(
      ['', 'something', 'the', '', 'Paris'],
      // unanswerable x3; answerable x2 ("" predicted for an answerable one scores 0).
      [[], [], [], ['Paris'], ['Paris', 'the city of Paris']],
    );
    // Per question (EM = F1): 1, 0, 1 ("the" normalises to ""), 0, 1.
    expect(s.exact_match).toBeCloseTo(60, 10);
    expect(s.f1).toBeCloseTo(60, 10);
    expect([s.has_ans_count, s.no_ans_count]).toEqual([2, 3]);
    expect(s.has_ans_exact_match).toBeCloseTo(50, 10);
    expect(s.no_ans_exact_match).toBeCloseTo(200 / 3, 10);
  });

  it('drops gold answers that normalise to "" (v2.0 script)', () => {
    // Golds ["the", "Paris"] are scored as ["Paris"]: an empty prediction gets 0, "Paris" 100.
    expect(squadScores([''], [['the', 'Paris']]).exact_match).toBe(0);
    expect(squadScores(['Paris'], [['the', 'Paris']]).exact_match).toBe(100);
    // Only empty-normalising golds: the question counts as unanswerable.
    expect(squadScores([''], [['a']]).no_ans_count).toBe(1);
  });

  it('refuses mismatched or empty inputs', () => {
    expect(() => squadScores(['a'], [['a'], ['b']])).toThrow(/1 predictions for 2 questions/);
    expect(() => squadScores([], [])).toThrow(/no questions/);
    expect(() => squadScores([null as unknown as string], [['a']])).toThrow(/predicted\[0\] is null/);
  });
});
