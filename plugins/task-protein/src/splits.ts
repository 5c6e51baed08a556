/**
 * Near-identity groups: within each label, items whose windows share any identical substring of `k` characters are
 * put in one group (union-find over the shared k-mers, so the relation is transitive). With k = 12 residues this
 * joins strain variants and close paralogs of a protein while unrelated proteins almost never share a 12-mer
 * (20^12 possibilities). Returns one group key per item, `label:root`; k = 0 groups identical windows only. The keys
 * are the `groupOf` of @ssbench/data's `stratifiedGroupSplit`.
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
