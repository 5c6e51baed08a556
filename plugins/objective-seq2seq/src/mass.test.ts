import { Rng } from '@ssbench/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { massFragmentLength, massMasking } from './mass';
import type { NoiseContext } from './options';
import { type FixtureSequence, loadSeq2seqFixture } from './sotu-fixture';

let seqs: FixtureSequence[];
let ctx: NoiseContext;

beforeAll(() => {
  const fx = loadSeq2seqFixture({ maxLen: 96, maxSequences: 8000 });
  seqs = fx.sequences;
  ctx = fx.ctx;
});

function check(cond: boolean, msg: () => string): void {
  if (!cond) throw new Error(msg());
}

/** |observed - expected| <= 4 sigma, for a sum of independent Bernoulli trials with the given variance. */
function within4Sigma(observed: number, expected: number, variance: number, what: string): void {
  const sigma = Math.sqrt(variance);
  expect(Math.abs(observed - expected), `${what}: ${observed}, expected ${expected.toFixed(1)} +- 4*${sigma.toFixed(2)}`).toBeLessThanOrEqual(4 * sigma);
}

/** Python's round(): halves to even (written out here, independently of the implementation). */
function pyRound(x: number): number {
  const f = Math.floor(x);
  if (x - f !== 0.5) return Math.round(x);
  return f % 2 === 0 ? f : f + 1;
}

describe('massMasking on State of the Union sequences', () => {
  it('fragment length, target, decoder input (shifted right, <mask> elsewhere), encoder input outside the fragment', () => {
    const rng = new Rng(51);
    for (const seq of seqs) {
      const ids = seq.ids;
      const n = ids.length - 2;
      const r = massMasking(ids, {}, ctx, rng);
      const len = Math.min(n, Math.max(1, pyRound(n * 0.5)));
      check(r.fragmentLength === len, () => `fragment length ${r.fragmentLength} != ${len} for n = ${n}`);
      const a = r.fragmentStart;
      const b = a + len;
      check(a >= 1 && b <= ids.length - 1, () => `fragment [${a}, ${b}) touches BOS/EOS`);
      check(r.target.length === len && r.target.every((t, k) => t === ids[a + k]), () => 'target is not the fragment');
      check(r.decoderInput.length === ids.length, () => 'decoder input length');
      r.decoderInput.forEach((t, i) => {
        const want = i >= a && i < b ? ids[i - 1] : ctx.maskId;
        check(t === want, () => `decoderInput[${i}] = ${t}, want ${want}`);
      });
      check(r.source.length === ids.length, () => 'source length');
      r.source.forEach((t, i) => {
        if (i < a || i >= b) check(t === ids[i], () => `source changed outside the fragment at ${i}`);
        else {
          const kind = r.replacements[i - a];
          const ok =
            kind === 'mask' ? t === ctx.maskId : kind === 'keep' ? t === ids[i] : t >= ctx.randomTokens.low && t < ctx.randomTokens.high;
          check(ok, () => `fragment position ${i}: ${kind} but ${t}`);
        }
      });
    }
  });

  it('start position: first 20%, last 20%, uniform 60% (over all starts, as MASS) within 4 sigma', () => {
    const rng = new Rng(52);
    let atFirst = 0;
    let atLast = 0;
    let inside = 0;
    const expected = { first: 0, last: 0, inside: 0 };
    const variance = { first: 0, last: 0, inside: 0 };
    const placements = { start: 0, end: 0, random: 0 };
    let trials = 0;
    let uniformDev = 0;
    let uniformVar = 0;
    for (const seq of seqs) {
      const n = seq.ids.length - 2;
      const len = massFragmentLength(n);
      const m = n - len + 1; // possible starts
      if (m < 3) continue; // first, last and inside must be distinct outcomes
      const r = massMasking(seq.ids, {}, ctx, rng);
      trials++;
      placements[r.placement]++;
      const offset = r.fragmentStart - 1;
      if (offset === 0) atFirst++;
      else if (offset === m - 1) atLast++;
      else inside++;
      const pFirst = 0.2 + 0.6 / m;
      const pInside = (0.6 * (m - 2)) / m;
      expected.first += pFirst;
      expected.last += pFirst;
      expected.inside += pInside;
      variance.first += pFirst * (1 - pFirst);
      variance.last += pFirst * (1 - pFirst);
      variance.inside += pInside * (1 - pInside);
      if (r.placement === 'random') {
        // Uniform over 0..m-1: mean (m-1)/2, variance (m^2-1)/12.
        uniformDev += offset - (m - 1) / 2;
        uniformVar += (m * m - 1) / 12;
      }
    }
    expect(trials).toBeGreaterThan(5000);
    within4Sigma(atFirst, expected.first, variance.first, 'fragment at the first token');
    within4Sigma(atLast, expected.last, variance.last, 'fragment at the last token');
    within4Sigma(inside, expected.inside, variance.inside, 'fragment strictly inside');
    within4Sigma(placements.start, 0.2 * trials, 0.16 * trials, "placement 'start'");
    within4Sigma(placements.end, 0.2 * trials, 0.16 * trials, "placement 'end'");
    within4Sigma(placements.random, 0.6 * trials, 0.24 * trials, "placement 'random'");
    within4Sigma(uniformDev, 0, uniformVar, 'random placement offsets (sum of deviations from the middle)');
  });

  it('encoder input: 80% <mask> / 10% kept / 10% random within 4 sigma', () => {
    const rng = new Rng(53);
    const c = { mask: 0, keep: 0, random: 0 };
    let total = 0;
    for (const seq of seqs) {
      const r = massMasking(seq.ids, {}, ctx, rng);
      for (const k of r.replacements) c[k]++;
      total += r.replacements.length;
    }
    within4Sigma(c.mask, 0.8 * total, 0.16 * total, '<mask>');
    within4Sigma(c.keep, 0.1 * total, 0.09 * total, 'kept');
    within4Sigma(c.random, 0.1 * total, 0.09 * total, 'random');
  });

  it('options: ratio, fixed placements, all-mask; short sequences; errors', () => {
    const ids = [ctx.bosId, 10, 11, 12, 13, 14, 15, 16, ctx.eosId]; // n = 7
    const start = massMasking(ids, { startProb: 1, endProb: 0, maskTokenRate: 1, randomTokenRate: 0 }, ctx, new Rng(1));
    expect(start.fragmentStart).toBe(1);
    expect(start.fragmentLength).toBe(4); // round(3.5) = 4 (half to even)
    expect(start.source).toEqual([ctx.bosId, 4, 4, 4, 4, 14, 15, 16, ctx.eosId].map((t) => (t === 4 ? ctx.maskId : t)));
    expect(start.decoderInput).toEqual([ctx.maskId, ctx.bosId, 10, 11, 12, ctx.maskId, ctx.maskId, ctx.maskId, ctx.maskId]);
    expect(start.target).toEqual([10, 11, 12, 13]);
    const end = massMasking(ids, { startProb: 0, endProb: 1, ratio: 0.3 }, ctx, new Rng(1));
    expect(end.fragmentLength).toBe(2); // round(2.1)
    expect(end.fragmentStart).toBe(6);
    expect(end.target).toEqual([15, 16]);
    expect(massFragmentLength(1)).toBe(1);
    expect(massFragmentLength(3)).toBe(2); // round(1.5) = 2
    expect(massFragmentLength(5)).toBe(2); // round(2.5) = 2
    expect(massFragmentLength(10, 1)).toBe(10);
    const one = massMasking([ctx.bosId, 9, ctx.eosId], {}, ctx, new Rng(2));
    expect(one.fragmentStart).toBe(1);
    expect(one.target).toEqual([9]);
    expect(() => massMasking([ctx.bosId, ctx.eosId], {}, ctx, new Rng(1))).toThrow(/no token between BOS and EOS/);
    expect(() => massMasking(ids, { ratio: 1.5 }, ctx, new Rng(1))).toThrow(/massMasking: option "ratio"/);
    expect(() => massMasking(ids, { maskTokenRate: 0.95 }, ctx, new Rng(1))).toThrow(/"maskTokenRate" \(0.95\) \+ "randomTokenRate" \(0.1\)/);
  });
});
