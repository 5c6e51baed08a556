import { Rng } from '@ssbench/core';
import { describe, expect, it } from 'vitest';
import { dropConflicting, stratifiedGroupSplit } from './splits';

interface Item {
  id: number;
  label: number;
  group: string;
}

/** 3 labels: label 0 has 100 items in groups of 1, label 1 has 60 items in groups of 3, label 2 has 40 in groups of 2. */
function items(): Item[] {
  const out: Item[] = [];
  let id = 0;
  for (let i = 0; i < 100; i++) out.push({ id: id++, label: 0, group: `a${i}` });
  for (let i = 0; i < 60; i++) out.push({ id: id++, label: 1, group: `b${Math.floor(i / 3)}` });
  for (let i = 0; i < 40; i++) out.push({ id: id++, label: 2, group: `c${Math.floor(i / 2)}` });
  return out;
}

const split = (xs: Item[], seed: number, cap?: number) =>
  stratifiedGroupSplit(
    xs,
    (e) => e.label,
    (e) => e.group,
    { dev: 0.1, test: 0.2 },
    new Rng(seed).fork('t'),
    cap,
  );

describe('stratifiedGroupSplit', () => {
  it('is deterministic in the seed and changes with it', () => {
    const a = split(items(), 1);
    const b = split(items(), 1);
    expect(a.test.map((e) => e.id)).toEqual(b.test.map((e) => e.id));
    expect(a.train.map((e) => e.id)).toEqual(b.train.map((e) => e.id));
    const c = split(items(), 2);
    expect(c.test.map((e) => e.id).sort()).not.toEqual(a.test.map((e) => e.id).sort());
  });

  it('does not depend on the input order', () => {
    const xs = items();
    const a = split(xs, 5);
    const b = split([...xs].reverse().sort((p, q) => p.label - q.label || p.id - q.id), 5);
    expect(a.test.map((e) => e.id)).toEqual(b.test.map((e) => e.id));
  });

  it('splits are disjoint, cover every item and keep groups together', () => {
    const s = split(items(), 3);
    const ids = [...s.train, ...s.dev, ...s.test].map((e) => e.id);
    expect(new Set(ids).size).toBe(200);
    const where = new Map<string, Set<string>>();
    for (const part of ['train', 'dev', 'test'] as const)
      for (const e of s[part]) {
        if (!where.has(e.group)) where.set(e.group, new Set());
        where.get(e.group)!.add(part);
      }
    expect([...where.values()].every((parts) => parts.size === 1)).toBe(true);
  });

  it('is stratified: each label gets round(n * fraction) in test and dev when groups allow', () => {
    const s = split(items(), 4);
    const count = (xs: Item[], label: number) => xs.filter((e) => e.label === label).length;
    // label 0: 100 singletons -> test 20, dev 10.
    expect([count(s.test, 0), count(s.dev, 0), count(s.train, 0)]).toEqual([20, 10, 70]);
    // label 1: 20 groups of 3 -> test wants 12 (4 groups), dev wants 6 (2 groups).
    expect([count(s.test, 1), count(s.dev, 1), count(s.train, 1)]).toEqual([12, 6, 42]);
    // label 2: 20 groups of 2 -> test wants 8 (4 groups), dev wants 4 (2 groups).
    expect([count(s.test, 2), count(s.dev, 2), count(s.train, 2)]).toEqual([8, 4, 28]);
  });

  it('caps each class by whole groups and counts what it left out', () => {
    const s = split(items(), 6, 50);
    const count = (label: number) => [...s.train, ...s.dev, ...s.test].filter((e) => e.label === label).length;
    expect(count(0)).toBe(50);
    expect(count(1)).toBe(48); // groups of 3: 16 groups fit under 50
    expect(count(2)).toBe(40);
    expect(s.capped).toBe(50 + 12);
  });

  it('passes a group that would overshoot dev on to train', () => {
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

describe('dropConflicting', () => {
  it('drops every item whose window occurs under two labels, keeps same-label duplicates', () => {
    const xs = [
      { w: 'AAA', l: 'x' },
      { w: 'AAA', l: 'x' },
      { w: 'CCC', l: 'x' },
      { w: 'CCC', l: 'y' },
      { w: 'GGG', l: 'y' },
    ];
    const { kept, dropped } = dropConflicting(
      xs,
      (e) => e.w,
      (e) => e.l,
    );
    expect(dropped).toBe(2);
    expect(kept.map((e) => e.w)).toEqual(['AAA', 'AAA', 'GGG']);
  });
});
