/**
 * Seeded, stratified, grouped splits (the same procedure as @ssbench/task-dna's; plugins do not depend on each
 * other). For each label, the label's groups (sequences that must stay together: near-identical proteins) are
 * shuffled with a stream that depends only on the split seed, the data set and the label; with a per-class cap,
 * groups are kept in that order while they fit under the cap; the kept groups are dealt to test until it holds
 * round(n * test), then to dev until round(n * dev), the rest to train (a group that would overshoot test or dev is
 * passed on to the next split). Each split is then put in a fixed shuffled order (mixing labels), again from the
 * split seed only.
 */
import type { Rng } from '@ssbench/core';

export interface SplitFractions {
  dev: number;
  test: number;
}

export interface SplitResult<E> {
  train: E[];
  dev: E[];
  test: E[];
  /** Items left out by the per-class cap. */
  capped: number;
}

export function stratifiedGroupSplit<E>(
  items: readonly E[],
  labelOf: (e: E) => number,
  groupOf: (e: E) => string,
  fractions: SplitFractions,
  rng: Rng,
  maxPerClass?: number,
): SplitResult<E> {
  const byLabel = new Map<number, Map<string, E[]>>();
  for (const e of items) {
    const label = labelOf(e);
    let groups = byLabel.get(label);
    if (!groups) byLabel.set(label, (groups = new Map()));
    const key = groupOf(e);
    const g = groups.get(key);
    if (g) g.push(e);
    else groups.set(key, [e]);
  }
  const out: SplitResult<E> = { train: [], dev: [], test: [], capped: 0 };
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const order = rng.fork(`label${label}`).shuffle([...byLabel.get(label)!.values()]);
    let kept = order;
    if (maxPerClass !== undefined) {
      kept = [];
      let n = 0;
      for (const g of order) {
        if (n + g.length <= maxPerClass) {
          kept.push(g);
          n += g.length;
        } else out.capped += g.length;
      }
    }
    const n = kept.reduce((s, g) => s + g.length, 0);
    const want = { test: Math.round(n * fractions.test), dev: Math.round(n * fractions.dev) };
    const have = { test: 0, dev: 0 };
    for (const g of kept) {
      if (have.test + g.length <= want.test) {
        out.test.push(...g);
        have.test += g.length;
      } else if (have.dev + g.length <= want.dev) {
        out.dev.push(...g);
        have.dev += g.length;
      } else out.train.push(...g);
    }
  }
  for (const part of ['train', 'dev', 'test'] as const) rng.fork(`order/${part}`).shuffle(out[part]);
  return out;
}

/**
 * Drops the items whose window (model input) also occurs with another label: the input alone cannot tell them
 * apart. Returns the kept items and how many were dropped.
 */
export function dropConflicting<E>(items: readonly E[], windowOf: (e: E) => string, labelOf: (e: E) => string | number): { kept: E[]; dropped: number } {
  const labels = new Map<string, Set<string | number>>();
  for (const e of items) {
    const w = windowOf(e);
    let s = labels.get(w);
    if (!s) labels.set(w, (s = new Set()));
    s.add(labelOf(e));
  }
  const kept = items.filter((e) => labels.get(windowOf(e))!.size === 1);
  return { kept, dropped: items.length - kept.length };
}

/**
 * Near-identity groups: within each label, items whose windows share any identical substring of `k` characters are
 * put in one group (union-find over the shared k-mers, so the relation is transitive). With k = 12 residues this
 * joins strain variants and close paralogs of a protein while unrelated proteins almost never share a 12-mer
 * (20^12 possibilities). Returns one group key per item, `label:root`; k = 0 groups identical windows only.
 */
export function sharedKmerGroups<E>(items: readonly E[], windowOf: (e: E) => string, labelOf: (e: E) => number, k: number): string[] {
  const parent = items.map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  // Per label: first item seen with each k-mer (or each whole window when k = 0 or the window is shorter than k).
  const firstWith = new Map<number, Map<string, number>>();
  const link = (label: number, key: string, i: number) => {
    let m = firstWith.get(label);
    if (!m) firstWith.set(label, (m = new Map()));
    const j = m.get(key);
    if (j === undefined) m.set(key, i);
    else {
      const a = find(i);
      const b = find(j);
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  };
  items.forEach((e, i) => {
    const w = windowOf(e);
    const label = labelOf(e);
    if (k === 0 || w.length < k) link(label, `=${w}`, i);
    else for (let p = 0; p + k <= w.length; p++) link(label, w.slice(p, p + k), i);
  });
  return items.map((e, i) => `${labelOf(e)}:${find(i)}`);
}
