import { describe, expect, it } from 'vitest';
import { PROTEIN_ALPHABET, normalizeProtein } from './amino';

describe('normalizeProtein', () => {
  it('keeps the 20 standard residues, upper-cased', () => {
    expect(normalizeProtein('mkvACDEFGHIKLMNPQRSTVWY')).toEqual({ sequence: 'MKVACDEFGHIKLMNPQRSTVWY' });
  });
  it('maps X, B, Z, J, U and O to X and removes a trailing stop', () => {
    expect(normalizeProtein('MBZJUOXk*')).toEqual({ sequence: 'MXXXXXXK' });
  });
  it('refuses an internal stop, gaps and other characters, with the position', () => {
    expect(normalizeProtein('MK*V')).toEqual({ badIndex: 2, badChar: '*' });
    expect(normalizeProtein('MK-V')).toEqual({ badIndex: 2, badChar: '-' });
    expect(normalizeProtein('M1')).toEqual({ badIndex: 1, badChar: '1' });
  });
  it('the alphabet is 21 distinct symbols and covers every normalised residue', () => {
    expect(PROTEIN_ALPHABET).toHaveLength(21);
    expect(new Set(PROTEIN_ALPHABET).size).toBe(21);
    const n = normalizeProtein('ACDEFGHIKLMNPQRSTVWYXBZJUO');
    expect('sequence' in n && [...n.sequence].every((c) => PROTEIN_ALPHABET.includes(c))).toBe(true);
  });
});
