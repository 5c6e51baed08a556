/**
 * Seeded, stratified, grouped splits for classification tasks (task-dna and task-protein use them). For each label,
 * the label's groups (items that must stay together: identical windows, one genus, near-identical proteins) are
 * shuffled with a stream that depends only on the given rng and the label; with a per-class cap, groups are kept in
 * that order while they fit under the cap; the kept groups are dealt to test until it holds round(n * test), then to
 * dev until round(n * dev), the rest to train (a group that would overshoot test or dev is passed on to the next
 * split). Each split is then put in a fixed shuffled order (mixing labels), again from the rng only.
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
