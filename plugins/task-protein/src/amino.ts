/**
 * Amino-acid symbols. The alphabet is the 20 standard residues plus X:
 * - upper case is applied first;
 * - X (unknown) and the IUPAC ambiguity codes B (D or N), Z (E or Q) and J (I or L) become X;
 * - the rare genetically encoded U (selenocysteine) and O (pyrrolysine) also become X (3 U and no O among the
 *   10,965 prokka proteins; a symbol that rare would only be an untrained embedding);
 * - a trailing `*` (translated stop codon) is removed; a `*` anywhere else, a gap (`-`, `.`) or any other
 *   character is an error (aligned or concatenated sequences are not protein sequences).
 */
import type { FastaAlphabet } from '@ssbench/data';

export const STANDARD_AMINO_ACIDS = ['A', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'K', 'L', 'M', 'N', 'P', 'Q', 'R', 'S', 'T', 'V', 'W', 'Y'] as const;

/** The task alphabet: the 20 standard residues (alphabetical by one-letter code), then X. */
export const PROTEIN_ALPHABET: readonly string[] = [...STANDARD_AMINO_ACIDS, 'X'];

/** What the FASTA reader accepts in protein files (gaps are refused there, with line and column). */
export const PROTEIN_LETTERS: FastaAlphabet = { name: 'amino-acid codes (no gaps)', letters: 'ACDEFGHIKLMNPQRSTVWYXBZJUO*' };

/** Normalises a protein sequence, or says which character is not allowed where. */
export function normalizeProtein(seq: string): { sequence: string } | { badIndex: number; badChar: string } {
  const up = seq.toUpperCase().replace(/\*$/, '');
  const bad = /[^ACDEFGHIKLMNPQRSTVWYXBZJUO]/.exec(up);
  if (bad) return { badIndex: bad.index, badChar: seq[bad.index] };
  return { sequence: up.replace(/[BZJUO]/g, 'X') };
}
