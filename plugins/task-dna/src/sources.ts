/**
 * The FASTA-based DNA data: the 16S rRNA "gold" set of microbiomeutil (Debian `microbiomeutil-data`) with its
 * taxonomy, and user FASTA files labelled by a header pattern or a labels TSV.
 *
 * 16S headers (5,181 records) are `>ID<TAB>...<TAB>Domain; Phylum; Class; Order; Family; Genus`: the taxonomy is
 * the last tab-separated field of the header, six ranks separated by "; " (records from the Broad's genome
 * collection carry two more tab-separated fields before it than the RDP ones; the last field is the lineage in both).
 */
import { SsbenchError } from '@ssbench/core';
import { type DebianFile, type FastaAlphabet, type FastaLabelSource, type FastaRecord, readFasta, readLabelledFasta } from '@ssbench/data';
import { normalizeNucleotides } from './nucleotides';

export const RRNA16S_FILE: DebianFile = { package: 'microbiomeutil-data', path: '/usr/share/microbiomeutil-data/RESOURCES/rRNA16S.gold.fasta' };

export const TAXONOMY_RANKS = ['domain', 'phylum', 'class', 'order', 'family', 'genus'] as const;
export type TaxonomyRank = (typeof TAXONOMY_RANKS)[number];

/** IUPAC nucleotide codes without gaps (unaligned sequences). */
export const NUCLEOTIDE_LETTERS: FastaAlphabet = { name: 'IUPAC nucleotide codes (no gaps)', letters: 'ACGTURYSWKMBDHVN' };

/** One labelled DNA sequence read from a file. */
export interface DnaRecord {
  id: string;
  /** Where it came from: `file:line` of its header (or the data frame row). */
  origin: string;
  /** Normalised: A, C, G, T, N only. */
  sequence: string;
  /** Label name (a taxon, a user label). */
  label: string;
  /** Key of the group the record's split is decided with (e.g. its genus); records of one group share a split. */
  group?: string;
}

function normalised(r: FastaRecord, file: string): string {
  const n = normalizeNucleotides(r.sequence);
  if ('sequence' in n) return n.sequence;
  // Unreachable after readFasta's alphabet check; kept so a direct caller still gets a located error.
  throw new SsbenchError('data', `record "${r.id}": character ${JSON.stringify(n.badChar)} at sequence position ${n.badIndex + 1} is not a nucleotide code`, {
    file,
    line: r.line,
  });
}

/** The six-rank lineage of a 16S record (errors name the file and line). */
export function lineage16S(r: FastaRecord, file: string): string[] {
  const fields = r.description.split('\t');
  const ranks = fields[fields.length - 1].split(';').map((s) => s.trim());
  if (ranks.length !== TAXONOMY_RANKS.length || ranks.some((s) => s === ''))
    throw new SsbenchError('data', `16S record "${r.id}": expected the lineage "${TAXONOMY_RANKS.join('; ')}" as the last tab-separated header field, got ${JSON.stringify(fields[fields.length - 1])}`, {
      file,
      line: r.line,
    });
  return ranks;
}

/**
 * Reads the 16S gold set labelled at `rank`; each record's group is its genus when the rank is above genus (so a
 * genus never straddles splits), none otherwise.
 */
export function read16S(file: string, rank: TaxonomyRank): DnaRecord[] {
  const r = TAXONOMY_RANKS.indexOf(rank);
  return readFasta(file, { alphabet: NUCLEOTIDE_LETTERS }).map((rec) => {
    const ranks = lineage16S(rec, file);
    return {
      id: rec.id,
      origin: `${file}:${rec.line}`,
      sequence: normalised(rec, file),
      label: ranks[r],
      group: rank === 'genus' ? undefined : `genus:${ranks[TAXONOMY_RANKS.indexOf('genus')]}`,
    };
  });
}

/** Reads a user FASTA file of nucleotide sequences with labels. */
export function readUserFasta(file: string, source: FastaLabelSource): DnaRecord[] {
  return readLabelledFasta(file, source, { alphabet: NUCLEOTIDE_LETTERS }).map((rec) => ({
    id: rec.id,
    origin: `${file}:${rec.line}`,
    sequence: normalised(rec, file),
    label: rec.label,
  }));
}
