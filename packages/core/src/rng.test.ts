import { describe, expect, it } from 'vitest';
import { hashLabel, Rng } from './rng';

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.next());
}

function meanVar(xs: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = s / xs.length;
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i] - mean) ** 2;
  return { mean, variance: ss / (xs.length - 1) };
}

function correlation(a: readonly number[], b: readonly number[]): number {
  const ma = meanVar(a).mean;
  const mb = meanVar(b).mean;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('Rng determinism', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = draws(new Rng(42), 100);
    const b = draws(new Rng(42), 100);
    const c = draws(new Rng(43), 100);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // Not a single value in common between seeds 42 and 43 in 100 draws of 53-bit values.
    expect(a.filter((x) => c.includes(x))).toEqual([]);
  });

  it('pins the stream for seed 42 so an accidental change to seeding or sampling is caught', () => {
    // Regenerate with: new Rng(42) then .nextUint32() x3, .next() x2, .int(1000) x3.
    const rng = new Rng(42);
    const pinned = [
      rng.nextUint32(),
      rng.nextUint32(),
      rng.nextUint32(),
      rng.next(),
      rng.next(),
      rng.int(1000),
      rng.int(1000),
      rng.int(1000),
    ];
    expect(pinned).toEqual([542489056, 1712186183, 2868872285, 0.6906565830449637, 0.9167744685101583, 880, 664, 244]);
  });

  it('accepts negative and large safe-integer seeds, all distinct', () => {
    const seeds = [0, 1, -1, 2 ** 32, 2 ** 32 + 1, -(2 ** 40), Number.MAX_SAFE_INTEGER];
    const firsts = seeds.map((s) => new Rng(s).nextUint32());
    expect(new Set(firsts).size).toBe(seeds.length);
  });

  it('rejects seeds that are not safe integers', () => {
    expect(() => new Rng(1.5)).toThrow(RangeError);
    expect(() => new Rng(Number.NaN)).toThrow(/safe integer/);
    expect(() => new Rng(2 ** 53)).toThrow(RangeError);
  });

  it('nearby seeds give uncorrelated streams', () => {
    const a = draws(new Rng(1), 20000);
    const b = draws(new Rng(2), 20000);
    // Correlation of independent uniforms: sd 1/sqrt(20000) ~ 0.007; 0.03 is > 4 sd.
    expect(Math.abs(correlation(a, b))).toBeLessThan(0.03);
  });
});

describe('Rng distributions', () => {
  it('next() is in [0, 1) with mean 1/2 and variance 1/12', () => {
    const n = 200_000;
    const xs = draws(new Rng(7), n);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const { mean, variance } = meanVar(xs);
    // sd of the mean: sqrt(1/12 / n) ~ 0.00065; allow ~6 sd.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.004);
    // sd of the sample variance of U(0,1): sqrt((1/80 - 1/144) / n) ~ 0.00017.
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.001);
    // Values carry more than 32 bits: some are not multiples of 2^-32.
    expect(xs.some((x) => !Number.isInteger(x * 2 ** 32))).toBe(true);
    // ...and all are multiples of 2^-53.
    expect(xs.every((x) => Number.isInteger(x * 2 ** 53))).toBe(true);
  });

  it('uniform(lo, hi) stays in [lo, hi)', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 10000; i++) {
      const x = rng.uniform(-2, 5);
      expect(x).toBeGreaterThanOrEqual(-2);
      expect(x).toBeLessThan(5);
    }
  });

  it('int(n) covers [0, n) uniformly (chi-square)', () => {
    const rng = new Rng(11);
    const k = 10;
    const n = 100_000;
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < n; i++) {
      const v = rng.int(k);
      expect(Number.isInteger(v)).toBe(true);
      counts[v]++;
    }
    const expected = n / k;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // chi-square with 9 degrees of freedom: P(chi2 > 27.9) = 0.001.
    expect(chi2).toBeLessThan(27.9);
    expect(counts.every((c) => c > 0)).toBe(true);
  });

  it('int(n) has no modulo bias for n close to 2^32', () => {
    // With n = 3 * 2^30, `uint32 % n` would hit [0, 2^30) twice as often as the rest (probability 1/2 vs 1/3).
    const n = 3 * 2 ** 30;
    const rng = new Rng(5);
    let low = 0;
    const draws_ = 60_000;
    for (let i = 0; i < draws_; i++) if (rng.int(n) < 2 ** 30) low++;
    // Unbiased: P(low) = 1/3, sd sqrt(1/3 * 2/3 / 60000) ~ 0.0019.
    expect(Math.abs(low / draws_ - 1 / 3)).toBeLessThan(0.012);
  });

  it('int(n) handles n = 1 and n above 2^32, and rejects bad n', () => {
    const rng = new Rng(1);
    expect(rng.int(1)).toBe(0);
    for (let i = 0; i < 1000; i++) {
      const v = rng.int(2 ** 40);
      expect(Number.isInteger(v) && v >= 0 && v < 2 ** 40).toBe(true);
    }
    expect(() => rng.int(0)).toThrow(RangeError);
    expect(() => rng.int(-3)).toThrow(RangeError);
    expect(() => rng.int(2.5)).toThrow(RangeError);
  });

  it('normal() has mean 0, variance 1 and the fourth moment 3 of a Gaussian', () => {
    const rng = new Rng(99);
    const n = 200_000;
    const xs = Array.from({ length: n }, () => rng.normal());
    const { mean, variance } = meanVar(xs);
    // sd of the mean 1/sqrt(n) ~ 0.0022; sd of the variance sqrt(2/n) ~ 0.0032.
    expect(Math.abs(mean)).toBeLessThan(0.012);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
    const m4 = xs.reduce((s, x) => s + x ** 4, 0) / n;
    // sd of the 4th moment: sqrt((105 - 9) / n) ~ 0.022.
    expect(Math.abs(m4 - 3)).toBeLessThan(0.12);
    // Tails: P(|z| > 1.96) = 0.05.
    const tail = xs.filter((x) => Math.abs(x) > 1.96).length / n;
    expect(Math.abs(tail - 0.05)).toBeLessThan(0.003);
    expect(xs.every(Number.isFinite)).toBe(true);
  });

  it('fillNormal scales and shifts', () => {
    const out = new Rng(4).fillNormal(new Float32Array(50_000), 3, 0.5);
    const { mean, variance } = meanVar(out);
    expect(Math.abs(mean - 3)).toBeLessThan(0.02);
    expect(Math.abs(variance - 0.25)).toBeLessThan(0.01);
  });

  it('fillUniform fills a Float32Array with values in [0, 1) deterministically', () => {
    const a = new Rng(8).fillUniform(new Float32Array(100_000));
    const b = new Rng(8).fillUniform(new Float32Array(100_000));
    expect(a).toEqual(b);
    let min = 1;
    let max = 0;
    for (const x of a) {
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    const { mean, variance } = meanVar(a);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.006);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.0015);
    // A dropout mask at p = 0.1 keeps ~90%.
    const kept = a.filter((u) => u >= 0.1).length / a.length;
    expect(Math.abs(kept - 0.9)).toBeLessThan(0.005);
  });

  it('bernoulli(p) is true with frequency p', () => {
    const rng = new Rng(12);
    let t = 0;
    for (let i = 0; i < 50_000; i++) if (rng.bernoulli(0.15)) t++;
    expect(Math.abs(t / 50_000 - 0.15)).toBeLessThan(0.01);
  });
});

describe('Rng shuffle and choice', () => {
  it('shuffle permutes in place, deterministically', () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const ret = new Rng(5).shuffle(a);
    expect(ret).toBe(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const b = new Rng(5).shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect(b).toEqual(a);
    expect(new Rng(5).shuffle([])).toEqual([]);
    expect(new Rng(5).shuffle(['x'])).toEqual(['x']);
  });

  it('shuffle gives each of the 6 orders of 3 items equally often', () => {
    const rng = new Rng(21);
    const counts = new Map<string, number>();
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const key = rng.shuffle(['a', 'b', 'c']).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    // Each order 1/6: expected 10000, sd ~91.
    for (const c of counts.values()) expect(Math.abs(c - n / 6)).toBeLessThan(500);
  });

  it('permutation(n) is a permutation of 0..n-1', () => {
    const p = new Rng(2).permutation(100);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('choice picks every element and rejects an empty array', () => {
    const rng = new Rng(6);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(rng.choice(['x', 'y', 'z']));
    expect([...seen].sort()).toEqual(['x', 'y', 'z']);
    expect(() => rng.choice([])).toThrow(RangeError);
  });
});

describe('Rng.fork', () => {
  it('the same label gives the same stream, different labels different streams', () => {
    const root = new Rng(42);
    const d1 = draws(root.fork('dropout'), 50);
    const d2 = draws(new Rng(42).fork('dropout'), 50);
    const o = draws(root.fork('data-order'), 50);
    expect(d1).toEqual(d2);
    expect(d1).not.toEqual(o);
    expect(d1).not.toEqual(draws(new Rng(42), 50));
    expect(d1).not.toEqual(draws(new Rng(43).fork('dropout'), 50));
  });

  it('does not depend on, or advance, the parent position', () => {
    const a = new Rng(9);
    const b = new Rng(9);
    draws(b, 1000);
    expect(draws(a.fork('x'), 20)).toEqual(draws(b.fork('x'), 20));
    // The parent continues as if fork had not been called.
    const c = new Rng(9);
    c.fork('x');
    expect(draws(c, 20)).toEqual(draws(new Rng(9), 20));
  });

  it('nested forks are keyed by the whole label path', () => {
    const root = new Rng(1);
    const ab = draws(root.fork('a').fork('b'), 20);
    expect(ab).toEqual(draws(new Rng(1).fork('a').fork('b'), 20));
    expect(ab).not.toEqual(draws(root.fork('b'), 20));
    expect(ab).not.toEqual(draws(root.fork('b').fork('a'), 20));
    expect(ab).not.toEqual(draws(root.fork('ab'), 20));
    expect(root.fork('a').fork('b').path).toEqual(['a', 'b']);
    expect(root.fork('a').seed).toBe(1);
  });

  it('forked streams are uncorrelated with each other and with the parent', () => {
    const root = new Rng(2024);
    const parent = draws(root.clone(), 20000);
    const x = draws(root.fork('mask'), 20000);
    const y = draws(root.fork('mask2'), 20000);
    expect(Math.abs(correlation(x, y))).toBeLessThan(0.03);
    expect(Math.abs(correlation(x, parent))).toBeLessThan(0.03);
  });

  it('many labels give distinct first outputs', () => {
    const root = new Rng(0);
    const firsts = new Set<number>();
    for (let i = 0; i < 2000; i++) firsts.add(root.fork(`layer.${i}`).nextUint32());
    expect(firsts.size).toBe(2000);
  });

  it('hashLabel distinguishes labels and handles non-ASCII', () => {
    expect(hashLabel('dropout')).toEqual(hashLabel('dropout'));
    expect(hashLabel('dropout')).not.toEqual(hashLabel('dropouT'));
    expect(hashLabel('é')).not.toEqual(hashLabel('e'));
    expect(hashLabel('')).not.toEqual(hashLabel('\0'));
  });
});

describe('Rng.clone', () => {
  it('continues from the same position, independently', () => {
    const a = new Rng(17);
    a.next();
    a.normal(); // leaves a spare normal
    const b = a.clone();
    expect([a.normal(), a.next(), a.int(10)]).toEqual([b.normal(), b.next(), b.int(10)]);
    a.next();
    expect(a.next()).not.toBe(b.next());
  });
});
