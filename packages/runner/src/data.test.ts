import { Rng } from '@ssbench/core';
import { describe, expect, it } from 'vitest';
import { type EncodedExample, classificationBatch, epochBatches } from './data';

const examples: EncodedExample[] = Array.from({ length: 1000 }, (_, i) => {
  const len = 3 + ((i * 7919) % 60);
  return { ids: Array.from({ length: len }, (_, k) => 10 + ((i + k) % 50)), types: new Array(len).fill(0), label: i % 2 };
});

describe('epochBatches', () => {
  it('uses every example exactly once, deterministically per seed', () => {
    const a = epochBatches(examples, 32, 0, new Rng(1));
    const seen = a.flatMap((b) => Array.from(b.labels.data as Int32Array)).length;
    expect(seen).toBe(1000);
    const firstIds = (bs: typeof a) => Array.from(bs[0].input_ids.data as Int32Array);
    expect(firstIds(epochBatches(examples, 32, 0, new Rng(1)))).toEqual(firstIds(a));
    expect(firstIds(epochBatches(examples, 32, 0, new Rng(2)))).not.toEqual(firstIds(a));
    // Each example's tokens appear once: compare the multiset of row lengths with the examples'.
    const rowLengths = a.flatMap((b) => {
      const [n, seq] = b.attention_mask.shape;
      const m = b.attention_mask.data as Float32Array;
      return Array.from({ length: n }, (_, r) => m.subarray(r * seq, (r + 1) * seq).reduce((s, x) => s + x, 0));
    });
    expect(rowLengths.sort((x, y) => x - y)).toEqual(examples.map((e) => e.ids.length).sort((x, y) => x - y));
  });

  it('grouping by length pads far less than random batches', () => {
    const padded = (bs: ReturnType<typeof epochBatches>) => bs.reduce((s, b) => s + b.input_ids.shape[0] * b.input_ids.shape[1], 0);
    const grouped = padded(epochBatches(examples, 32, 0, new Rng(3)));
    const random = padded(epochBatches(examples, 32, 0, new Rng(3), 1));
    const real = examples.reduce((s, e) => s + e.ids.length, 0);
    expect(grouped).toBeLessThan(real * 1.1);
    expect(random).toBeGreaterThan(real * 1.5);
  });

  it('pads rows with the pad id and masks them out', () => {
    const b = classificationBatch([examples[0], examples[1]], 0);
    const [n, seq] = b.input_ids.shape;
    expect(n).toBe(2);
    expect(seq).toBe(Math.max(examples[0].ids.length, examples[1].ids.length));
    const ids = b.input_ids.data as Int32Array;
    const mask = b.attention_mask.data as Float32Array;
    for (let i = 0; i < seq; i++) {
      expect(mask[i]).toBe(i < examples[0].ids.length ? 1 : 0);
      if (i >= examples[0].ids.length) expect(ids[i]).toBe(0);
    }
  });
});
