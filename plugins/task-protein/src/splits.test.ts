import { Rng } from '@ssbench/core';
import { describe, expect, it } from 'vitest';
import { sharedKmerGroups, stratifiedGroupSplit } from './splits';

describe('sharedKmerGroups', () => {
  const w = (s: string, label = 0) => ({ s, label });
  const groups = (xs: { s: string; label: number }[], k: number) =>
    sharedKmerGroups(
      xs,
      (x) => x.s,
      (x) => x.label,
      k,
    );

  it('joins windows that share a k-mer, transitively, and only within a label', () => {
    const xs = [
      w('AAAAAKLMNPQ'), // 0 shares KLMNP with 1
      w('YYKLMNPWWWW'), // 1: four W only, so no 5-mer in common with 2
      w('CCCCCCWWWWW'), // 2 shares CCCCC with 3
      w('DDDDDCCCCCC'), // 3
      w('AAAAAKLMNPQ', 1), // 4: same window as 0 under another label: not joined
      w('EEEEE'), // 5: alone
    ];
    const g = groups(xs, 5);
    expect(g[0]).toBe(g[1]);
    expect(g[2]).toBe(g[3]);
    expect(g[0]).not.toBe(g[2]);
    expect(g[4]).not.toBe(g[0]);
    expect(new Set(g).size).toBe(4);
  });

  it('chains: a~b and b~c put a and c together even when they share nothing', () => {
    const g = groups([w('KLMNPAAAAA'), w('KLMNPRSTVW'), w('CCCCCRSTVW')], 5);
    expect(new Set(g).size).toBe(1);
  });

  it('k = 0 (and windows shorter than k) group identical windows only', () => {
    const g = groups([w('MKV'), w('MKV'), w('MKVL')], 0);
    expect(g[0]).toBe(g[1]);
    expect(g[2]).not.toBe(g[0]);
    const short = groups([w('MKV'), w('MKV'), w('MKA')], 12);
    expect(short[0]).toBe(short[1]);
    expect(short[2]).not.toBe(short[0]);
  });
});

describe('stratifiedGroupSplit', () => {
  it('is deterministic, disjoint, stratified and keeps groups together', () => {
    const xs = Array.from({ length: 90 }, (_, i) => ({ id: i, label: i % 3, group: `g${Math.floor(i / 6)}-${i % 3}` }));
    const run = () =>
      stratifiedGroupSplit(
        xs,
        (e) => e.label,
        (e) => e.group,
        { dev: 0.1, test: 0.2 },
        new Rng(3).fork('p'),
      );
    const a = run();
    expect(a.test.map((e) => e.id)).toEqual(run().test.map((e) => e.id));
    expect(new Set([...a.train, ...a.dev, ...a.test].map((e) => e.id)).size).toBe(90);
    // 30 per label in groups of 2: test wants 6 (3 groups), dev wants 3 (1 group of 2 fits, the next would overshoot).
    for (let label = 0; label < 3; label++) {
      expect(a.test.filter((e) => e.label === label)).toHaveLength(6);
      expect(a.dev.filter((e) => e.label === label)).toHaveLength(2);
    }
    const where = new Map<string, string>();
    for (const p of ['train', 'dev', 'test'] as const)
      for (const e of a[p]) {
        expect(where.get(e.group) ?? p).toBe(p);
        where.set(e.group, p);
      }
  });
});
