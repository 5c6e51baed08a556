export type { DnaDataSummary, DnaDataset, DnaExample, DnaOptions, DnaOptionsInput, DnaSplits } from './dna';
export { DATASET_INFOS, DNA_DATASETS, DNA_TASK_VERSION, DnaTask, dnaOptionsSchema, resolveDnaOptions } from './dna';
export { default } from './dna';
export { DNA_BASES, MAX_K, kmerAlphabet, kmerCount, kmerize, normalizeNucleotides } from './nucleotides';
export type { DnaRecord, TaxonomyRank } from './sources';
export { NUCLEOTIDE_LETTERS, RRNA16S_FILE, TAXONOMY_RANKS, lineage16S, read16S, readUserFasta } from './sources';
export type { SpliceRecord } from './splice';
export { SPLICE_FILE, SPLICE_LABELS, SPLICE_LENGTH, decompressRData, readSpliceFile, spliceRecords } from './splice';
// Shared with task-protein; re-exported under the names this package has always exported.
export type { SplitFractions, SplitResult } from '@ssbench/data';
export { debianPackageVersion as debianVersion, dropConflicting, stratifiedGroupSplit } from '@ssbench/data';
