import { describe, expect, it } from 'vitest';
import { kmerAlphabet, kmerCount, kmerize, normalizeNucleotides } from './nucleotides';

describe('normalizeNucleotides', () => {
  it('upper-cases, reads U as T and ambiguity codes as N', () => {
    expect(normalizeNucleotides('acguRYswkmBDHVn')).toEqual({ sequence: 'ACGTNNNNNNNNNNN' });
  });
  it('reports the first character that is not a nucleotide code', () => {
    expect(normalizeNucleotides('ACG-T')).toEqual({ badIndex: 3, badChar: '-' });
    expect(normalizeNucleotides('acgx')).toEqual({ badIndex: 3, badChar: 'x' });
  });
});

describe('k-mers', () => {
  it('the alphabet is the 4^k k-mers in lexicographic order, then N', () => {
    expect(kmerAlphabet(1)).toEqual(['A', 'C', 'G', 'T', 'N']);
    const a2 = kmerAlphabet(2);
    expect(a2).toHaveLength(17);
    expect(a2.slice(0, 5)).toEqual(['AA', 'AC', 'AG', 'AT', 'CA']);
    expect(a2[15]).toBe('TT');
    expect(a2[16]).toBe('N');
    expect(kmerAlphabet(6)).toHaveLength(4097);
    expect(new Set(kmerAlphabet(3)).size).toBe(65);
    expect(() => kmerAlphabet(7)).toThrow(/1\.\.6/);
  });

  it('non-overlapping k-mers step by k and drop a short tail', () => {
    expect(kmerize('ACGTACG', 3, false)).toEqual(['ACG', 'TAC']);
    expect(kmerize('ACGTAC', 1, false)).toEqual(['A', 'C', 'G', 'T', 'A', 'C']);
  });

  it('overlapping k-mers step by 1', () => {
    expect(kmerize('ACGTA', 3, true)).toEqual(['ACG', 'CGT', 'GTA']);
  });

  it('a k-mer containing N is the symbol N', () => {
    expect(kmerize('ACNTGG', 2, false)).toEqual(['AC', 'N', 'GG']);
    expect(kmerize('ACNTG', 2, true)).toEqual(['AC', 'N', 'N', 'TG']);
  });

  it('every symbol is in the alphabet and kmerCount predicts the length', () => {
    const seq = 'ACGTNACGGTTACANNCGT';
    for (const k of [1, 2, 3, 4])
      for (const overlapping of [false, true]) {
        const s = kmerize(seq, k, overlapping);
        expect(s).toHaveLength(kmerCount(seq.length, k, overlapping));
        const alphabet = new Set(kmerAlphabet(k));
        expect(s.every((x) => alphabet.has(x))).toBe(true);
      }
    expect(kmerCount(2, 3, false)).toBe(0);
    expect(kmerize('AC', 3, true)).toEqual([]);
  });
});
