import { SsbenchError } from '@ssbench/core';
import { describe, expect, it } from 'vitest';
import { encodeSymbols } from './data';
import { DEFAULT_SYMBOL_OPTIONS, symbolTokenIds, usableIdCount } from './symbols';

const ALPHABET = ['A', 'C', 'G', 'T'];

describe('symbolTokenIds (Kao & Lee: fixed random vocabulary ids)', () => {
  it('is deterministic for a seed, gives distinct ids >= skipIds, never a reserved id', () => {
    const amino = [...'ACDEFGHIKLMNPQRSTVWY'];
    const a = symbolTokenIds('protein', amino, 1100, [0, 1, 2, 3, 4, 1050], { seed: 100, skipIds: 1000 });
    expect(symbolTokenIds('protein', amino, 1100, [0, 1, 2, 3, 4, 1050], { seed: 100, skipIds: 1000 })).toEqual(a);
    const ids = [...a.values()];
    expect(new Set(ids).size).toBe(amino.length);
    for (const id of ids) {
      expect(id).toBeGreaterThanOrEqual(1000);
      expect(id).toBeLessThan(1100);
      expect(id).not.toBe(1050);
    }
    expect([...a.keys()]).toEqual(amino);
    // Another seed gives another assignment.
    expect([...symbolTokenIds('protein', amino, 1100, [], { seed: 101, skipIds: 1000 }).values()]).not.toEqual(ids);
  });

  it('uses every usable id when the alphabet needs them all', () => {
    const m = symbolTokenIds('dna', ALPHABET, 10, [7], { seed: 1, skipIds: 5 });
    expect([...m.values()].sort()).toEqual([5, 6, 8, 9]);
    expect(usableIdCount(10, [7, 2], 5)).toBe(4);
  });

  it('a vocabulary too small after skipping is a config error naming the task', () => {
    expect(() => symbolTokenIds('dna', ALPHABET, 1002, [], DEFAULT_SYMBOL_OPTIONS)).toThrow(SsbenchError);
    expect(() => symbolTokenIds('dna', ALPHABET, 1002, [], DEFAULT_SYMBOL_OPTIONS)).toThrow(/task "dna": its alphabet has 4 symbols but .* only 2 usable token ids at or above skipIds 1000/);
    expect(() => symbolTokenIds('dna', ['A', 'A'], 100, [], { seed: 1, skipIds: 0 })).toThrow(/lists the symbol "A" twice/);
  });
});

describe('encodeSymbols', () => {
  const ids = new Map([
    ['A', 10],
    ['C', 11],
  ]);
  it('is [CLS] ids [SEP], truncated to maxLen', () => {
    expect(encodeSymbols(['A', 'C', 'A'], ids, { cls: 2, sep: 3 }, 16, { task: 't', split: 'train', index: 0 })).toEqual({ ids: [2, 10, 11, 10, 3], types: [0, 0, 0, 0, 0] });
    expect(encodeSymbols(['A', 'C', 'A'], ids, { cls: 2, sep: 3 }, 4, { task: 't', split: 'train', index: 0 }).ids).toEqual([2, 10, 11, 3]);
  });
  it('a symbol outside the alphabet is a data error naming the task, split and example', () => {
    expect(() => encodeSymbols(['A', 'N'], ids, { cls: 2, sep: 3 }, 16, { task: 'dna', split: 'dev', index: 7 })).toThrow(
      'task "dna": dev example 7: symbol "N" (position 1) is not in the task\'s alphabet',
    );
  });
});
