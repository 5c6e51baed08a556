import { describe, expect, it } from 'vitest';
import { sharedKmerGroups } from './splits';

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
