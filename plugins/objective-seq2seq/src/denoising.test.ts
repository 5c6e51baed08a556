import { Rng } from '@ssbench/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ceilCount,
  documentRotation,
  type MaskingResult,
  sentencePermutation,
  sentenceSpans,
  textInfilling,
  tokenDeletion,
  tokenInsertion,
  tokenMasking,
  undoRotation,
  wholeWordMask,
} from './denoising';
import type { NoiseContext } from './options';
import { createPoissonSampler } from './poisson';
import { type FixtureSequence, loadSeq2seqFixture, type Seq2seqFixture } from './sotu-fixture';

let fx: Seq2seqFixture;
let seqs: FixtureSequence[];
let ctx: NoiseContext;

beforeAll(() => {
  fx = loadSeq2seqFixture({ maxLen: 128, maxSequences: 6000 });
  seqs = fx.sequences;
  ctx = fx.ctx;
});

/** Cheap assertions for the per-sequence hot loops (vitest's expect is slow over tens of thousands of calls). */
function check(cond: boolean, msg: () => string): void {
  if (!cond) throw new Error(msg());
}

function same(a: readonly unknown[], b: readonly unknown[], what: string): void {
  check(a.length === b.length && a.every((x, i) => x === b[i]), () => `${what}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);
}

/** |observed - n p| <= 4 sigma of Binomial(n, p). */
function expectBinomial(observed: number, n: number, p: number, what: string): void {
  const sigma = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p), `${what}: ${observed} of ${n}, expected ${(n * p).toFixed(1)} +- 4*${sigma.toFixed(2)}`).toBeLessThanOrEqual(
    4 * sigma,
  );
}

/** Unit starts computed by the test: inner positions; every one for 'subword', else the "##"-free pieces. */
function unitStarts(seq: FixtureSequence, subword: boolean): boolean[] {
  const last = seq.ids.length - 1;
  return seq.ids.map((_, i) => i > 0 && i < last && (subword || seq.wordStarts[i]));
}

function count(flags: readonly boolean[]): number {
  return flags.reduce((n, f) => n + (f ? 1 : 0), 0);
}

/** The source without the positions listed (inserted tokens). */
function without(source: readonly number[], positions: readonly number[]): number[] {
  const drop = new Set(positions);
  return source.filter((_, i) => !drop.has(i));
}

const isRandomId = (id: number): boolean => id >= ctx.randomTokens.low && id < ctx.randomTokens.high;

interface SpanChecks {
  sequences: number;
  exactBudget: number;
  deficits: number;
}

/**
 * Invariants every masking result satisfies, checked against the test's own reading of the sequence:
 * BOS/EOS untouched, budget = ceil(#units * p), span extents (a span covers `words` units, fewer only at EOS),
 * spans' words sum to the budget, masked units == budget unless spans overlap or reach EOS (then fewer).
 */
function checkSpans(seq: FixtureSequence, r: MaskingResult, p: number, subword: boolean, c: SpanChecks): void {
  const ids = seq.ids;
  const last = ids.length - 1;
  const starts = unitStarts(seq, subword);
  const n = count(starts);
  same(r.target, ids, 'target');
  check(r.source[0] === ctx.bosId && r.source[r.source.length - 1] === ctx.eosId, () => 'BOS/EOS moved');
  check(r.wordStartCount === n, () => `wordStartCount ${r.wordStartCount} != ${n}`);
  const budget = Math.ceil(n * p - 1e-9);
  check(r.budget === budget, () => `budget ${r.budget} != ceil(${n} * ${p}) = ${budget}`);
  let wordsSum = 0;
  let truncated = false;
  const seen = new Set<number>();
  for (const s of r.spans) {
    if (!starts[s.start]) throw new Error(`span starts at ${s.start}, not a unit start`);
    if (seen.has(s.start)) throw new Error(`two spans start at ${s.start}`);
    seen.add(s.start);
    if (!(s.end > s.start && s.end <= last)) throw new Error(`span [${s.start}, ${s.end}) out of (0, ${last})`);
    if (!(s.end === last || starts[s.end])) throw new Error(`span [${s.start}, ${s.end}) ends inside a word`);
    const realised = count(starts.slice(s.start, s.end));
    if (s.end === last) {
      if (realised > s.words) throw new Error('span covers more words than assigned');
      if (realised < s.words) truncated = true;
    } else if (realised !== s.words) {
      throw new Error(`span [${s.start}, ${s.end}) covers ${realised} words, assigned ${s.words}`);
    }
    wordsSum += s.words;
  }
  check(wordsSum === r.budget, () => `span words sum to ${wordsSum}, budget ${r.budget}`);
  // Union of the spans, computed here.
  const covered = new Array<boolean>(ids.length).fill(false);
  for (const s of r.spans) covered.fill(true, s.start, s.end);
  same(r.maskedPositions, covered.flatMap((f, i) => (f ? [i] : [])), 'maskedPositions');
  check(!covered[0] && !covered[last], () => 'BOS or EOS masked');
  const sorted = [...r.spans].sort((a, b) => a.start - b.start);
  const overlap = sorted.some((s, k) => k > 0 && sorted[k - 1].end > s.start);
  const maskedUnits = count(starts.map((f, i) => f && covered[i]));
  c.sequences++;
  if (!overlap && !truncated) {
    check(maskedUnits === r.budget, () => `masked units ${maskedUnits} != budget ${r.budget} with disjoint spans`);
    c.exactBudget++;
  } else {
    check(maskedUnits <= r.budget, () => `masked units ${maskedUnits} > budget ${r.budget}`);
    if (maskedUnits < r.budget) c.deficits++;
  }
  // Inserted tokens (zero-length spans): never first or last, <mask> or random.
  check(r.insertedPositions.length === r.insertions, () => 'insertedPositions length');
  for (const i of r.insertedPositions) {
    if (i <= 0 || i >= r.source.length - 1) throw new Error(`insertion at ${i}`);
    if (!(r.source[i] === ctx.maskId || isRandomId(r.source[i]))) throw new Error(`inserted ${r.source[i]}`);
  }
}

describe('span masking on State of the Union sequences', () => {
  it('has thousands of real sequences with several sentences', () => {
    expect(seqs.length).toBeGreaterThanOrEqual(5000);
    expect(seqs.filter((s) => s.sentenceEnds.length >= 2).length).toBeGreaterThan(3000);
    expect(seqs.some((s) => s.wordStarts.slice(1, -1).some((w) => !w))).toBe(true);
  });

  it('text infilling: budget, span extents, one <mask> per span, zero-length spans inserted, BOS/EOS kept', () => {
    const rng = new Rng(11);
    const c: SpanChecks = { sequences: 0, exactBudget: 0, deficits: 0 };
    let spansTotal = 0;
    let randomSpans = 0;
    let onePerSpan = 0;
    for (const seq of seqs) {
      const r = textInfilling(seq.ids, seq.wordStarts, { p: 0.3, poissonLambda: 3.5, maskRandom: 0.1 }, ctx, rng);
      checkSpans(seq, r, 0.3, false, c);
      // The lengths as drawn: the non-zero ones are the spans in order, the last one trimmed to the budget.
      const drawn = r.sampledLengths;
      const nonZero = drawn.slice(0, -1).filter((l) => l > 0);
      same(r.spans.slice(0, -1).map((s) => s.words), nonZero, 'untrimmed span lengths');
      check(r.insertions === drawn.filter((l) => l === 0).length, () => 'insertions != zero-length draws');
      check(drawn.reduce((a, b) => a + b, 0) - drawn[drawn.length - 1] < r.budget, () => 'drew past the budget');
      // Expected source, rebuilt from the spans: interior tokens dropped, each visible span start replaced once.
      const ids = seq.ids;
      const interior = new Array<boolean>(ids.length).fill(false);
      for (const s of r.spans) interior.fill(true, s.start + 1, s.end);
      const byStart = new Map(r.spans.map((s) => [s.start, s]));
      const expected: (number | 'mask' | 'random')[] = [];
      ids.forEach((id, i) => {
        if (interior[i]) return;
        const s = byStart.get(i);
        expected.push(s === undefined ? id : s.random ? 'random' : 'mask');
      });
      const got = without(r.source, r.insertedPositions);
      check(got.length === expected.length, () => `length ${got.length} != ${expected.length}`);
      expected.forEach((e, k) => {
        const ok = e === 'mask' ? got[k] === ctx.maskId : e === 'random' ? isRandomId(got[k]) : got[k] === e;
        if (!ok) throw new Error(`position ${k}: expected ${e}, got ${got[k]}`);
      });
      const visibleStarts = r.spans.filter((s) => !interior[s.start]).length;
      check(r.source.length === ids.length - r.maskedPositions.length + visibleStarts + r.insertions, () => 'source length');
      if (visibleStarts === r.spans.length) onePerSpan++;
      spansTotal += r.spans.length;
      randomSpans += r.spans.filter((s) => s.random).length;
    }
    expectBinomial(randomSpans, spansTotal, 0.1, 'random spans');
    // Exactness is checked per sequence above; make sure both regimes actually occur.
    expect(c.exactBudget).toBeGreaterThan(50);
    expect(c.deficits).toBeGreaterThan(50);
    expect(onePerSpan).toBeGreaterThan(50);
  });

  it('span lengths: the draws average lambda within 4 sigma (Wald: whole stopped sequences of draws)', () => {
    for (const lambda of [3.5, 1.5]) {
      const rng = new Rng(Math.round(12 + 10 * lambda));
      let sum = 0;
      let draws = 0;
      for (const seq of seqs) {
        const r = textInfilling(seq.ids, seq.wordStarts, { p: 0.3, poissonLambda: lambda }, ctx, rng);
        for (const l of r.sampledLengths) sum += l;
        draws += r.sampledLengths.length;
      }
      const { mean, variance } = createPoissonSampler(lambda);
      const sigma = Math.sqrt(variance / draws);
      expect(Math.abs(sum / draws - mean), `lambda ${lambda}: mean ${sum / draws} over ${draws} draws, 4 sigma = ${4 * sigma}`).toBeLessThanOrEqual(
        4 * sigma,
      );
    }
  });

  it('token masking (replace_length -1): every covered token -> <mask> or random, the rest unchanged', () => {
    for (const maskLength of ['subword', 'word', 'span-poisson'] as const) {
      const rng = new Rng(13);
      const c: SpanChecks = { sequences: 0, exactBudget: 0, deficits: 0 };
      let maskedTokens = 0;
      for (const seq of seqs) {
        const r = tokenMasking(seq.ids, seq.wordStarts, { p: 0.15, maskLength, maskRandom: 0.1 }, ctx, rng);
        const subword = maskLength === 'subword';
        checkSpans(seq, r, 0.15, subword, c);
        if (maskLength !== 'span-poisson') {
          // Length-1 units with distinct starts never overlap: exactly the budget.
          check(r.spans.length === r.budget && r.insertions === 0, () => 'length-1 spans != budget');
        }
        const got = without(r.source, r.insertedPositions);
        check(got.length === seq.ids.length, () => 'length changed');
        const covered = new Set(r.maskedPositions);
        const owners = new Map<number, boolean[]>();
        for (const s of r.spans) for (let i = s.start; i < s.end; i++) owners.set(i, [...(owners.get(i) ?? []), s.random]);
        got.forEach((id, i) => {
          if (!covered.has(i)) {
            if (id !== seq.ids[i]) throw new Error(`uncovered position ${i} changed`);
            return;
          }
          const o = owners.get(i) as boolean[];
          if (o.length === 1 && !(o[0] ? isRandomId(id) : id === ctx.maskId)) throw new Error(`position ${i}: ${id}`);
          if (!(id === ctx.maskId || isRandomId(id))) throw new Error(`position ${i}: ${id}`);
        });
        maskedTokens += r.maskedPositions.length;
      }
      expect(c.exactBudget, maskLength).toBeGreaterThan(0);
      if (maskLength !== 'span-poisson') expect(c.exactBudget, maskLength).toBe(c.sequences);
      expect(maskedTokens).toBeGreaterThan(0);
    }
  });

  it('token deletion removes exactly the covered tokens (subword: exactly the budget)', () => {
    for (const maskLength of ['subword', 'word', 'span-poisson'] as const) {
      const rng = new Rng(14);
      const c: SpanChecks = { sequences: 0, exactBudget: 0, deficits: 0 };
      for (const seq of seqs) {
        const r = tokenDeletion(seq.ids, seq.wordStarts, { p: 0.2, maskLength }, ctx, rng);
        checkSpans(seq, r, 0.2, maskLength === 'subword', c);
        const covered = new Set(r.maskedPositions);
        same(without(r.source, r.insertedPositions), seq.ids.filter((_, i) => !covered.has(i)), 'after deletion');
        check(r.source.length === seq.ids.length - r.maskedPositions.length + r.insertions, () => 'deleted count');
        if (maskLength === 'subword') check(r.maskedPositions.length === r.budget, () => 'deleted != budget');
        if (maskLength === 'word') {
          const starts = unitStarts(seq, false);
          check(count(r.maskedPositions.map((i) => starts[i])) === r.budget, () => 'deleted words != budget');
        }
        for (const i of r.insertedPositions) check(r.source[i] === ctx.maskId, () => 'inserted not <mask>'); // deletion: maskRandom 0
      }
      if (maskLength !== 'span-poisson') expect(c.exactBudget).toBe(c.sequences);
    }
  });

  it('wholeWordMask with every option agrees with the named variants on the same stream', () => {
    const seq = seqs[7];
    const a = wholeWordMask(seq.ids, seq.wordStarts, { p: 0.3, maskLength: 'span-poisson', replaceLength: 1, poissonLambda: 3.5, maskRandom: 0.1 }, ctx, new Rng(5));
    const b = textInfilling(seq.ids, seq.wordStarts, {}, ctx, new Rng(5));
    expect(a).toEqual(b);
    const d1 = wholeWordMask(seq.ids, seq.wordStarts, { p: 0.3, maskLength: 'subword', replaceLength: 0, maskRandom: 0 }, ctx, new Rng(6));
    const d2 = tokenDeletion(seq.ids, seq.wordStarts, {}, ctx, new Rng(6));
    expect(d1).toEqual(d2);
  });

  it("'subword' ignores wordStarts; no wordStarts means every token is a unit", () => {
    const seq = seqs.find((s) => s.wordStarts.slice(1, -1).some((w) => !w)) as FixtureSequence;
    const a = tokenMasking(seq.ids, seq.wordStarts, { maskLength: 'subword' }, ctx, new Rng(3));
    const b = tokenMasking(seq.ids, undefined, { maskLength: 'subword' }, ctx, new Rng(3));
    const w = tokenMasking(seq.ids, undefined, { maskLength: 'word' }, ctx, new Rng(3));
    expect(a).toEqual(b);
    expect(w.source).toEqual(b.source);
    expect(a.wordStartCount).toBe(seq.ids.length - 2);
  });

  it('p = 0 leaves the sequence alone; p = 1 with subword units masks every inner token', () => {
    const seq = seqs[0];
    const r0 = textInfilling(seq.ids, seq.wordStarts, { p: 0 }, ctx, new Rng(1));
    expect(r0.source).toEqual(seq.ids);
    expect(r0.spans).toHaveLength(0);
    const r1 = tokenMasking(seq.ids, seq.wordStarts, { p: 1, maskRandom: 0 }, ctx, new Rng(1));
    expect(r1.source).toEqual([ctx.bosId, ...seq.ids.slice(1, -1).map(() => ctx.maskId), ctx.eosId]);
  });

  it('handles the shortest sequences and rejects malformed input naming the problem', () => {
    const bos = () => ctx.bosId;
    const eos = () => ctx.eosId;
    const empty = [bos(), eos()];
    for (const f of [textInfilling, tokenMasking, tokenDeletion]) {
      const r = f(empty, [true, true], { p: 1 }, ctx, new Rng(1));
      expect(r.source).toEqual(empty);
      expect(r.budget).toBe(0);
    }
    const one = [bos(), 100, eos()];
    const r = textInfilling(one, [true, true, true], { p: 1 }, ctx, new Rng(2));
    expect(r.budget).toBe(1);
    expect(r.spans).toHaveLength(1);
    expect(r.source.filter((t) => t === ctx.maskId || isRandomId(t)).length).toBe(1 + r.insertions);
    expect(() => textInfilling([100, 101, eos()], undefined, {}, ctx, new Rng(1))).toThrow(/must start with BOS \(id 2\), got 100/);
    expect(() => textInfilling([bos(), 101], undefined, {}, ctx, new Rng(1))).toThrow(/must end with EOS \(id 3\), got 101/);
    expect(() => textInfilling([bos()], undefined, {}, ctx, new Rng(1))).toThrow(/at least 2 ids/);
    expect(() => textInfilling(one, [true], {}, ctx, new Rng(1))).toThrow(/wordStarts must have one entry per token \(3\), got 1/);
    expect(() => textInfilling(one, undefined, { p: 2 }, ctx, new Rng(1))).toThrow(/textInfilling: option "p"/);
    expect(() => textInfilling(one, undefined, {}, { ...ctx, randomTokens: { low: 3, high: 1 } }, new Rng(1))).toThrow(/randomTokens/);
  });

  it('ceilCount ignores floating-point noise but otherwise rounds up', () => {
    expect(100 * 0.07).toBeGreaterThan(7); // 7.000000000000001
    expect(ceilCount(100, 0.07)).toBe(7);
    expect(ceilCount(10, 0.3)).toBe(3);
    expect(ceilCount(10, 0.31)).toBe(4);
    expect(ceilCount(7, 0.3)).toBe(3);
    expect(ceilCount(0, 0.3)).toBe(0);
    expect(ceilCount(5, 1)).toBe(5);
  });
});

describe('tokenInsertion', () => {
  it('inserts exactly ceil(len * p) tokens, ceil(n * maskRandom) of them random, never first or last', () => {
    const rng = new Rng(21);
    let atFirstSlot = 0;
    let atLastSlot = 0;
    for (const seq of seqs) {
      const r = tokenInsertion(seq.ids, { p: 0.1, maskRandom: 0.2 }, ctx, rng);
      const n = Math.ceil(seq.ids.length * 0.1 - 1e-9);
      check(r.insertedPositions.length === n && r.source.length === seq.ids.length + n, () => `inserted != ${n}`);
      same(r.target, seq.ids, 'target');
      check(r.source[0] === ctx.bosId && r.source[r.source.length - 1] === ctx.eosId, () => 'BOS/EOS moved');
      same(without(r.source, r.insertedPositions), seq.ids, 'after removing insertions');
      const inserted = r.insertedPositions.map((i) => r.source[i]);
      const random = inserted.filter(isRandomId).length;
      check(random === Math.ceil(n * 0.2 - 1e-9) && r.randomCount === random, () => `random ${random} of ${n}`);
      check(inserted.filter((t) => t === ctx.maskId).length === n - random, () => 'inserted <mask> count');
      check(r.origin.filter((o) => o === -1).length === n, () => 'origin -1 count');
      r.origin.forEach((o, i) => {
        if (o >= 0 && r.source[i] !== seq.ids[o]) throw new Error('origin does not point at the same token');
      });
      if (r.insertedPositions[0] === 1) atFirstSlot++;
      if (r.insertedPositions[n - 1] === r.source.length - 2) atLastSlot++;
    }
    // Both extreme slots are reachable (the first and last positions never are: checked above).
    expect(atFirstSlot).toBeGreaterThan(0);
    expect(atLastSlot).toBeGreaterThan(0);
  });

  it('p = 0 inserts nothing and a rate is required', () => {
    expect(tokenInsertion(seqs[0].ids, { p: 0 }, ctx, new Rng(1)).source).toEqual(seqs[0].ids);
    expect(() => tokenInsertion(seqs[0].ids, {} as { p: number }, ctx, new Rng(1))).toThrow(/option "p" is required/);
  });
});

/** Sentences of a sequence as token arrays, from exclusive ends (the test's own slicing). */
function sentencesOf(ids: readonly number[], ends: readonly number[]): number[][] {
  const out: number[][] = [];
  let start = 1;
  for (const e of ends) {
    out.push(ids.slice(start, e));
    start = e;
  }
  return out;
}

const key = (s: readonly number[]): string => s.join(',');

describe('sentencePermutation', () => {
  // The fixture's sentences are concatenated with no boundary token between them: the case where fairseq's
  // full-stop search finds nothing. Boundaries are passed explicitly here.
  it('p = 1: a true permutation of the sentences; BOS/EOS in place; result boundaries match', () => {
    const rng = new Rng(31);
    const orders = new Map<string, number>();
    let threes = 0;
    for (const seq of seqs) {
      const r = sentencePermutation(seq.ids, seq.sentenceEnds, { p: 1 }, ctx, rng);
      const input = sentencesOf(seq.ids, seq.sentenceEnds);
      const output = sentencesOf(r.source, r.sentenceEnds);
      check(r.source.length === seq.ids.length, () => 'length changed');
      check(r.source[0] === ctx.bosId && r.source[r.source.length - 1] === ctx.eosId, () => 'BOS/EOS moved');
      check(r.sentenceEnds[r.sentenceEnds.length - 1] === seq.ids.length - 1, () => 'last end');
      same(output.map(key).sort(), input.map(key).sort(), 'multiset of sentences');
      same([...r.ordering].sort((a, b) => a - b), input.map((_, i) => i), 'ordering is a permutation');
      same(output.map(key), r.ordering.map((k) => key(input[k])), 'sentences in ordering');
      r.origin.forEach((o, i) => {
        if (r.source[i] !== seq.ids[o]) throw new Error('origin does not point at the same token');
      });
      if (input.length === 3) {
        threes++;
        orders.set(r.ordering.join(''), (orders.get(r.ordering.join('')) ?? 0) + 1);
      }
    }
    // With p = 1 every order of three sentences is equally likely.
    expect(threes).toBeGreaterThan(300);
    expect(orders.size).toBe(6);
    for (const [order, n] of orders) expectBinomial(n, threes, 1 / 6, `order ${order}`);
  });

  it('p < 1 moves at most ceil(n * p) sentences; p = 0 moves none', () => {
    const rng = new Rng(32);
    let moved = 0;
    for (const seq of seqs) {
      const r = sentencePermutation(seq.ids, seq.sentenceEnds, { p: 0.5 }, ctx, rng);
      const n = seq.sentenceEnds.length;
      const displaced = r.ordering.filter((k, i) => k !== i).length;
      check(displaced <= Math.ceil(n * 0.5), () => `${displaced} of ${n} moved`);
      moved += displaced;
      same(sentencesOf(r.source, r.sentenceEnds).map(key).sort(), sentencesOf(seq.ids, seq.sentenceEnds).map(key).sort(), 'multiset');
      same(sentencePermutation(seq.ids, seq.sentenceEnds, { p: 0 }, ctx, rng).source, seq.ids, 'p = 0');
    }
    expect(moved).toBeGreaterThan(0);
  });

  it('treats text after the last given end as one more sentence; rejects bad boundaries', () => {
    const seq = seqs.find((s) => s.sentenceEnds.length >= 3) as FixtureSequence;
    const a = sentencePermutation(seq.ids, seq.sentenceEnds, {}, ctx, new Rng(4));
    const b = sentencePermutation(seq.ids, seq.sentenceEnds.slice(0, -1), {}, ctx, new Rng(4));
    expect(b).toEqual(a);
    expect(sentenceSpans(6, [3])).toEqual([
      [1, 3],
      [3, 5],
    ]);
    expect(sentenceSpans(2, [])).toEqual([]);
    expect(() => sentencePermutation(seq.ids, [5, 5], {}, ctx, new Rng(1))).toThrow(/sentenceEnds\[1\] = 5 is not a valid exclusive end/);
    expect(() => sentencePermutation(seq.ids, [1], {}, ctx, new Rng(1))).toThrow(/sentenceEnds\[0\] = 1/);
    expect(() => sentencePermutation(seq.ids, [seq.ids.length], {}, ctx, new Rng(1))).toThrow(/at most/);
    expect(sentencePermutation([ctx.bosId, ctx.eosId], [], {}, ctx, new Rng(1)).source).toEqual([ctx.bosId, ctx.eosId]);
  });
});

describe('documentRotation', () => {
  it('p = 1: always a rotation of the inner tokens, recoverable from the offset, offsets uniform', () => {
    const rng = new Rng(41);
    let dev = 0;
    let variance = 0;
    let identity = 0;
    let lastOffset = 0;
    let pEach = 0;
    let varEach = 0;
    for (const seq of seqs) {
      const r = documentRotation(seq.ids, { p: 1 }, ctx, rng);
      const n = seq.ids.length - 2;
      check(r.rotated && r.offset >= 1 && r.offset <= n, () => `offset ${r.offset} of ${n}`);
      check(r.source[0] === ctx.bosId && r.source[r.source.length - 1] === ctx.eosId, () => 'BOS/EOS moved');
      const inner = seq.ids.slice(1, -1);
      const shift = r.offset - 1;
      same(r.source.slice(1, -1), [...inner.slice(shift), ...inner.slice(0, shift)], 'rotation');
      same(undoRotation(r.source, r.offset), seq.ids, 'undoRotation');
      r.origin.forEach((o, i) => {
        if (r.source[i] !== seq.ids[o]) throw new Error('origin does not point at the same token');
      });
      dev += shift - (n - 1) / 2;
      variance += (n * n - 1) / 12;
      if (r.offset === 1) identity++;
      if (r.offset === n) lastOffset++;
      pEach += 1 / n;
      varEach += (1 / n) * (1 - 1 / n);
    }
    expect(Math.abs(dev), 'offsets: sum of (shift - mean) vs 4 sigma').toBeLessThanOrEqual(4 * Math.sqrt(variance));
    // Each offset has probability 1/n; in particular the identity is not doubled as in fairseq's offset draw.
    for (const [what, c] of [
      ['offset 1 (identity)', identity],
      ['offset n', lastOffset],
    ] as const) {
      expect(Math.abs(c - pEach), `${what}: ${c} vs ${pEach.toFixed(1)} +- 4*${Math.sqrt(varEach).toFixed(1)}`).toBeLessThanOrEqual(4 * Math.sqrt(varEach));
    }
  });

  it('rotates with probability p; p = 0 never', () => {
    const rng = new Rng(42);
    let rotated = 0;
    for (const seq of seqs) {
      const r = documentRotation(seq.ids, { p: 0.5 }, ctx, rng);
      if (r.rotated) rotated++;
      else same(r.source, seq.ids, 'not rotated');
      same(undoRotation(r.source, r.offset), seq.ids, 'undoRotation');
      same(documentRotation(seq.ids, { p: 0 }, ctx, rng).source, seq.ids, 'p = 0');
    }
    expectBinomial(rotated, seqs.length, 0.5, 'rotated');
  });

  it('leaves [BOS, EOS] and [BOS, x, EOS] as they are', () => {
    expect(documentRotation([ctx.bosId, ctx.eosId], { p: 1 }, ctx, new Rng(1)).source).toEqual([ctx.bosId, ctx.eosId]);
    const r = documentRotation([ctx.bosId, 77, ctx.eosId], { p: 1 }, ctx, new Rng(1));
    expect(r.source).toEqual([ctx.bosId, 77, ctx.eosId]);
    expect(r.offset).toBe(1);
    expect(() => undoRotation([ctx.bosId, 7, 8, ctx.eosId], 3)).toThrow(/offset must be an integer in \[1, 2\]/);
  });
});
