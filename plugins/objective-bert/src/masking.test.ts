import { beforeAll, describe, expect, it } from 'vitest';
import type { RandomSource as Rng } from '@ssbench/core';
import { maskDynamic, maskingCandidates, maskStatic, roundHalfEven, staticMaskCount } from './masking';
import { makeSentencePairs, type NspExample } from './pairs';
import { loadSotuFixture, type SotuFixture } from './sotu-fixture';

/** mulberry32: a tiny deterministic generator, for tests only. */
function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

/** |observed - n p| <= 4 sigma of Binomial(n, p). */
function expectBinomial(observed: number, n: number, p: number, what: string): void {
  const sigma = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p), `${what}: ${observed} of ${n}, expected ${(n * p).toFixed(1)} +- 4*${sigma.toFixed(1)}`).toBeLessThanOrEqual(
    4 * sigma,
  );
}

/** Word groups of a sequence, computed independently of the implementation: a word start plus its "##" pieces. */
function words(ids: readonly number[], wordStarts: readonly boolean[], specials: ReadonlySet<number>): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < ids.length; i++) {
    if (specials.has(ids[i])) continue;
    const prevInWord = i > 0 && !specials.has(ids[i - 1]) && !wordStarts[i];
    if (prevInWord) out[out.length - 1].push(i);
    else out.push([i]);
  }
  return out;
}

let fx: SotuFixture;
let seqs: NspExample[];
let specialSet: Set<number>;

beforeAll(() => {
  fx = loadSotuFixture();
  specialSet = new Set(fx.specials);
  seqs = makeSentencePairs(fx.docs, {
    maxSeqLen: 128,
    rng: mulberry32(7),
    specialIds: fx.wp.specialIds,
    isWordStart: (id) => fx.wp.isWordStart(id),
  });
});

interface SplitCounts {
  chosen: number;
  mask: number;
  keep: number;
  random: number;
}

/** Classify every chosen position and check the invariants every masking must satisfy. */
function tally(ids: readonly number[], r: { inputIds: number[]; positions: number[]; labels: number[] }, c: SplitCounts) {
  const { mask } = fx.wp.specialIds;
  expect(r.inputIds.length).toBe(ids.length);
  expect(r.labels.length).toBe(r.positions.length);
  const chosen = new Set(r.positions);
  for (let k = 0; k < r.positions.length; k++) {
    const i = r.positions[k];
    if (k > 0 && !(r.positions[k - 1] < i)) throw new Error('positions not strictly increasing');
    if (specialSet.has(ids[i])) throw new Error(`special id ${ids[i]} chosen at ${i}`);
    if (r.labels[k] !== ids[i]) throw new Error('label is not the original id');
    const now = r.inputIds[i];
    if (now === mask) c.mask++;
    else if (now === ids[i]) c.keep++;
    else {
      if (specialSet.has(now) || now < 0 || now >= fx.wp.vocabSize) throw new Error(`bad random token ${now}`);
      c.random++;
    }
  }
  for (let i = 0; i < ids.length; i++) {
    if (!chosen.has(i) && r.inputIds[i] !== ids[i]) throw new Error(`position ${i} changed but not chosen`);
  }
  c.chosen += r.positions.length;
}

/** Check the mask / keep / random split against Binomial 4-sigma bands (random draws can hit the original id). */
function expectSplit(c: SplitCounts, maskRate: number, randomRate: number, what: string): void {
  const nOrdinary = fx.wp.vocabSize - fx.specials.length;
  expectBinomial(c.mask, c.chosen, maskRate, `${what} [MASK]`);
  expectBinomial(c.random, c.chosen, randomRate * (1 - 1 / nOrdinary), `${what} random`);
  expectBinomial(c.keep, c.chosen, 1 - maskRate - randomRate + randomRate / nOrdinary, `${what} unchanged`);
}

describe('static masking: counts and candidates', () => {
  it('rounds like Python 3 and caps at maxPredictions', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3]);
    expect(staticMaskCount(0)).toBe(0);
    expect(staticMaskCount(3)).toBe(1); // max(1, round(0.45))
    expect(staticMaskCount(10)).toBe(2); // round(1.5) = 2
    expect(staticMaskCount(30)).toBe(4); // round(4.5) = 4
    expect(staticMaskCount(126)).toBe(19);
    expect(staticMaskCount(300, 0.15, 20)).toBe(20);
  });

  it('groups "##" pieces with the word they continue, never across a special token', () => {
    // [CLS] a ##b c [SEP] ##d e [SEP]
    const ids = [2, 10, 11, 12, 3, 13, 14, 3];
    const ws = [true, true, false, true, true, false, true, true];
    const specials = new Set([0, 1, 2, 3, 4]);
    expect(maskingCandidates(ids, specials, ws)).toEqual([[1, 2], [3], [5], [6]]);
    expect(maskingCandidates(ids, specials)).toEqual([[1], [2], [3], [5], [6]]);
  });

  it('is deterministic for a seed and validates its options', () => {
    const ids = seqs[0].inputIds;
    const o = { specialIds: fx.specials, maskId: fx.wp.specialIds.mask, vocabSize: fx.wp.vocabSize };
    expect(maskStatic(ids, { ...o, rng: mulberry32(3) })).toEqual(maskStatic(ids, { ...o, rng: mulberry32(3) }));
    expect(maskStatic(ids, { ...o, rng: mulberry32(3) })).not.toEqual(maskStatic(ids, { ...o, rng: mulberry32(4) }));
    expect(maskDynamic(ids, { ...o, rng: mulberry32(3) })).toEqual(maskDynamic(ids, { ...o, rng: mulberry32(3) }));
    expect(() => maskStatic(ids, { ...o, rng: mulberry32(1), maskTokenRate: 0.9, randomTokenRate: 0.2 })).toThrow(/sum <= 1/);
    expect(() => maskStatic(ids, { ...o, rng: mulberry32(1), maskProb: 1.5 })).toThrow(/maskProb/);
    expect(() => maskStatic(ids, { ...o, rng: mulberry32(1), wholeWord: true, wordStarts: [] })).toThrow(/wordStarts/);
    // A sequence of only special tokens has nothing to mask.
    const only = [fx.wp.specialIds.cls, fx.wp.specialIds.sep];
    expect(maskStatic(only, { ...o, rng: mulberry32(1) }).positions).toEqual([]);
  });
});

describe('masking on real text (SOTU, WordPiece 2000)', () => {
  it('has thousands of real sequences to test on', () => {
    expect(seqs.length).toBeGreaterThan(5000);
  });

  it('static: exactly min(maxPredictions, max(1, round(n * 0.15))) positions, never special, 80/10/10 split', () => {
    const rng = mulberry32(11);
    const c: SplitCounts = { chosen: 0, mask: 0, keep: 0, random: 0 };
    for (const s of seqs) {
      const r = maskStatic(s.inputIds, {
        maxPredictions: 20,
        specialIds: fx.specials,
        maskId: fx.wp.specialIds.mask,
        vocabSize: fx.wp.vocabSize,
        rng,
      });
      const nCandidates = s.inputIds.filter((id) => !specialSet.has(id)).length;
      if (r.positions.length !== staticMaskCount(nCandidates, 0.15, 20)) throw new Error('wrong number of positions');
      tally(s.inputIds, r, c);
    }
    expect(c.chosen).toBeGreaterThan(50_000);
    expectSplit(c, 0.8, 0.1, 'static 80/10/10');
  });

  it('static: a non-default split (0.5 mask / 0.25 random / 0.25 unchanged) and maskProb 0.3', () => {
    const rng = mulberry32(12);
    const c: SplitCounts = { chosen: 0, mask: 0, keep: 0, random: 0 };
    for (const s of seqs) {
      const r = maskStatic(s.inputIds, {
        maskProb: 0.3,
        maskTokenRate: 0.5,
        randomTokenRate: 0.25,
        specialIds: fx.specials,
        maskId: fx.wp.specialIds.mask,
        vocabSize: fx.wp.vocabSize,
        rng,
      });
      const nCandidates = s.inputIds.filter((id) => !specialSet.has(id)).length;
      if (r.positions.length !== staticMaskCount(nCandidates, 0.3)) throw new Error('wrong number of positions');
      tally(s.inputIds, r, c);
    }
    expectSplit(c, 0.5, 0.25, 'static 50/25/25');
  });

  it('static whole-word: words are masked entirely, within the budget, and the split stays 80/10/10', () => {
    const rng = mulberry32(13);
    const c: SplitCounts = { chosen: 0, mask: 0, keep: 0, random: 0 };
    let budgetSum = 0;
    let multiPieceWordsMasked = 0;
    for (const s of seqs) {
      const r = maskStatic(s.inputIds, {
        wholeWord: true,
        wordStarts: s.wordStarts,
        maxPredictions: 20,
        specialIds: fx.specials,
        maskId: fx.wp.specialIds.mask,
        vocabSize: fx.wp.vocabSize,
        rng,
      });
      const nCandidates = s.inputIds.filter((id) => !specialSet.has(id)).length;
      const budget = staticMaskCount(nCandidates, 0.15, 20);
      if (r.positions.length > budget) throw new Error('over budget');
      budgetSum += budget;
      const chosen = new Set(r.positions);
      for (const w of words(s.inputIds, s.wordStarts, specialSet)) {
        const n = w.filter((i) => chosen.has(i)).length;
        if (n !== 0 && n !== w.length) throw new Error(`word ${JSON.stringify(w)} partially masked`);
        if (n > 1) multiPieceWordsMasked++;
      }
      tally(s.inputIds, r, c);
    }
    expect(multiPieceWordsMasked).toBeGreaterThan(1000);
    expect(c.chosen / budgetSum).toBeGreaterThan(0.97); // skipping long words leaves it only slightly short
    expectSplit(c, 0.8, 0.1, 'static whole-word');
  });

  it('dynamic: each non-special token is chosen with probability 0.15, split 80/10/10', () => {
    const rng = mulberry32(14);
    const c: SplitCounts = { chosen: 0, mask: 0, keep: 0, random: 0 };
    let candidates = 0;
    let emptySeqs = 0;
    for (const s of seqs) {
      const r = maskDynamic(s.inputIds, {
        specialIds: fx.specials,
        maskId: fx.wp.specialIds.mask,
        vocabSize: fx.wp.vocabSize,
        rng,
      });
      candidates += s.inputIds.filter((id) => !specialSet.has(id)).length;
      if (r.positions.length === 0) emptySeqs++;
      tally(s.inputIds, r, c);
    }
    expectBinomial(c.chosen, candidates, 0.15, 'dynamic rate');
    expectSplit(c, 0.8, 0.1, 'dynamic 80/10/10');
    expect(emptySeqs).toBeLessThan(seqs.length); // not a fixed count: some vary
  });

  it('dynamic whole-word: each word is chosen with probability 0.15, entirely or not at all', () => {
    const rng = mulberry32(15);
    const c: SplitCounts = { chosen: 0, mask: 0, keep: 0, random: 0 };
    let nWords = 0;
    let chosenWords = 0;
    for (const s of seqs) {
      const r = maskDynamic(s.inputIds, {
        wholeWord: true,
        wordStarts: s.wordStarts,
        maskProb: 0.15,
        specialIds: fx.specials,
        maskId: fx.wp.specialIds.mask,
        vocabSize: fx.wp.vocabSize,
        rng,
      });
      const chosen = new Set(r.positions);
      for (const w of words(s.inputIds, s.wordStarts, specialSet)) {
        nWords++;
        const n = w.filter((i) => chosen.has(i)).length;
        if (n !== 0 && n !== w.length) throw new Error(`word ${JSON.stringify(w)} partially masked`);
        if (n > 0) chosenWords++;
      }
      tally(s.inputIds, r, c);
    }
    expectBinomial(chosenWords, nWords, 0.15, 'dynamic whole-word rate');
    expectSplit(c, 0.8, 0.1, 'dynamic whole-word');
  });
});
