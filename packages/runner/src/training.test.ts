import { Rng } from '@ssbench/core';
import { describe, expect, it } from 'vitest';
import { dropoutMasks, fillDropoutMask } from './training';

describe('fillDropoutMask', () => {
  it('drops each element with probability rate and scales the rest by 1/(1-rate)', () => {
    const n = 400_000;
    for (const rate of [0.1, 0.5, 0.9]) {
      const m = fillDropoutMask(new Float32Array(n), rate, new Rng(1));
      const keep = Math.fround(1 / (1 - rate));
      let zeros = 0;
      for (const v of m) {
        if (v === 0) zeros++;
        else expect(v).toBe(keep);
      }
      // Binomial(n, rate): 5 standard deviations.
      expect(Math.abs(zeros / n - rate)).toBeLessThan(5 * Math.sqrt((rate * (1 - rate)) / n));
      // Independence between neighbours: P(both dropped) = rate^2.
      let pairs = 0;
      for (let i = 1; i < n; i++) if (m[i] === 0 && m[i - 1] === 0) pairs++;
      expect(Math.abs(pairs / (n - 1) - rate * rate)).toBeLessThan(5 * Math.sqrt((rate * rate * (1 - rate * rate)) / n));
    }
  });

  it('is deterministic for a seed, and rate 0 keeps everything', () => {
    const a = fillDropoutMask(new Float32Array(1000), 0.1, new Rng(3));
    const b = fillDropoutMask(new Float32Array(1000), 0.1, new Rng(3));
    expect(a).toEqual(b);
    expect(fillDropoutMask(new Float32Array(10), 0, new Rng(3))).toEqual(new Float32Array(10).fill(1));
    expect(() => fillDropoutMask(new Float32Array(1), 1, new Rng(3))).toThrow(/rate/);
  });

  it('dropoutMasks resolves symbolic shapes', () => {
    const masks = dropoutMasks([{ name: 'dropout/0', shape: ['batch', 'seq', 4], rate: 0.25 }], new Map([['batch', 2], ['seq', 3]]), new Rng(1));
    expect(masks['dropout/0'].shape).toEqual([2, 3, 4]);
  });
});
