import { Rng } from '@ssbench/core';
import { describe, expect, it } from 'vitest';
import { checkPoissonLambda, createPoissonSampler, poissonTable } from './poisson';

/** fairseq's loop, transcribed independently: lambda^k and k! kept separately, stop after the first p < 1e-7. */
function fairseqTable(lambda: number): number[] {
  let lambdaToTheK = 1;
  const eToTheMinusLambda = Math.exp(-lambda);
  let kFactorial = 1;
  const ps: number[] = [];
  for (let k = 0; k < 128; k++) {
    ps.push((eToTheMinusLambda * lambdaToTheK) / kFactorial);
    lambdaToTheK *= lambda;
    kFactorial *= k + 1;
    if (ps[ps.length - 1] < 1e-7) break;
  }
  return ps;
}

describe('poissonTable', () => {
  it.each([0.5, 1, 3, 3.5, 7, 16])('equals fairseq mask_span_distribution for lambda %s', (lambda) => {
    const ours = poissonTable(lambda);
    const ref = fairseqTable(lambda);
    expect(ours.length).toBe(ref.length);
    for (const [k, p] of ours.entries()) expect(Math.abs(p - ref[k]), `k = ${k}`).toBeLessThanOrEqual(1e-12 * ref[k]);
  });

  it('keeps the mass around the mode where fairseq would stop at k = 0 (lambda > ~16.1)', () => {
    expect(fairseqTable(20)).toHaveLength(1); // upstream: e^-20 < 1e-7, so only length 0 remains
    const ours = createPoissonSampler(20);
    expect(ours.probabilities.length).toBeGreaterThan(40);
    expect(Math.abs(ours.mean - 20)).toBeLessThan(1e-4);
  });

  it('rejects a non-positive, non-finite or too large lambda, naming the option', () => {
    expect(() => checkPoissonLambda(0)).toThrow(/poissonLambda must be a number > 0.*got 0/);
    expect(() => checkPoissonLambda(-1)).toThrow(/poissonLambda/);
    expect(() => checkPoissonLambda(Number.NaN)).toThrow(/poissonLambda/);
    expect(() => checkPoissonLambda(65)).toThrow(/at most 64/);
    expect(() => createPoissonSampler(0)).toThrow(/lambda must be a number > 0/);
  });
});

describe('createPoissonSampler', () => {
  it.each([1, 3, 3.5, 8])('lambda %s: sample mean and per-length frequencies within 4 sigma', (lambda) => {
    const s = createPoissonSampler(lambda);
    // The truncated, renormalised distribution is Poisson to within the dropped tail.
    expect(Math.abs(s.mean - lambda)).toBeLessThan(1e-5);
    expect(Math.abs(s.variance - lambda)).toBeLessThan(1e-4);
    expect(s.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const rng = new Rng(1234 + lambda * 10);
    const N = 200_000;
    const counts = new Array<number>(s.probabilities.length).fill(0);
    let sum = 0;
    for (let i = 0; i < N; i++) {
      const k = s.sample(rng);
      counts[k]++;
      sum += k;
    }
    const mean = sum / N;
    const sigma = Math.sqrt(lambda / N);
    expect(Math.abs(mean - lambda), `mean ${mean} vs ${lambda} +- 4*${sigma}`).toBeLessThanOrEqual(4 * sigma);
    s.probabilities.forEach((p, k) => {
      const sd = Math.sqrt(N * p * (1 - p));
      if (N * p < 5) return; // too rare to test one length on its own
      expect(Math.abs(counts[k] - N * p), `length ${k}: ${counts[k]} vs ${(N * p).toFixed(1)}`).toBeLessThanOrEqual(4 * sd);
    });
  });

  it('is the inverse CDF: u just below / at a CDF step gives the two neighbouring lengths', () => {
    const s = createPoissonSampler(3.5);
    const p0 = s.probabilities[0];
    const fixed = (u: number) => ({ next: () => u, int: () => 0 });
    expect(s.sample(fixed(0))).toBe(0);
    expect(s.sample(fixed(p0 * (1 - 1e-9)))).toBe(0);
    expect(s.sample(fixed(p0 * (1 + 1e-9)))).toBe(1);
    expect(s.sample(fixed(1 - 1e-16))).toBe(s.probabilities.length - 1);
  });
});
