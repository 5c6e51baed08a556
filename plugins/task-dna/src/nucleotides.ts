/**
 * Nucleotide symbols and k-mers.
 *
 * Every DNA task normalises a sequence the same way: upper case, U (RNA) read as T, and every IUPAC ambiguity
 * code (R Y S W K M B D H V N) read as N. Gaps (`-`, `.`) are refused by the readers, not silently dropped.
 *
 * k-mers (k = 1 is single nucleotides):
 * - non-overlapping (the default): windows at 0, k, 2k, ...; a trailing piece shorter than k is dropped, so
 *   L nucleotides give floor(L / k) symbols;
 * - overlapping (as DNABERT): windows at 0, 1, 2, ...; L nucleotides give L - k + 1 symbols.
 * A k-mer that contains an N becomes the single symbol "N" (so the alphabet is the 4^k k-mers over ACGT, in
 * lexicographic order, then "N").
 */

export const DNA_BASES = ['A', 'C', 'G', 'T'] as const;

/** The largest k offered: 4^6 = 4,096 k-mers (a vocabulary larger than the sequences are long is pointless). */
export const MAX_K = 6;

/**
 * Upper-cases and maps U to T and ambiguity codes to N. Returns the offending position and character for any other
 * character (gaps, digits, ...), so callers can report where.
 */
export function normalizeNucleotides(seq: string): { sequence: string } | { badIndex: number; badChar: string } {
  const up = seq.toUpperCase();
  const bad = /[^ACGTURYSWKMBDHVN]/.exec(up);
  if (bad) return { badIndex: bad.index, badChar: seq[bad.index] };
  return { sequence: up.replace(/U/g, 'T').replace(/[RYSWKMBDHV]/g, 'N') };
}

/** All k-mers over ACGT in lexicographic order, then "N". */
export function kmerAlphabet(k: number): string[] {
  checkK(k);
  let words: string[] = [''];
  for (let i = 0; i < k; i++) words = words.flatMap((w) => DNA_BASES.map((b) => w + b));
  return [...words, 'N'];
}

/** The k-mer symbols of a normalised sequence (only A, C, G, T, N). */
export function kmerize(seq: string, k: number, overlapping: boolean): string[] {
  checkK(k);
  const step = overlapping ? 1 : k;
  const out: string[] = [];
  for (let i = 0; i + k <= seq.length; i += step) {
    const w = seq.slice(i, i + k);
    out.push(w.includes('N') ? 'N' : w);
  }
  return out;
}

/** How many symbols `length` nucleotides give. */
export function kmerCount(length: number, k: number, overlapping: boolean): number {
  if (length < k) return 0;
  return overlapping ? length - k + 1 : Math.floor(length / k);
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new RangeError(`k must be an integer in 1..${MAX_K}, got ${k}`);
}
