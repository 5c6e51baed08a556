export { PROTEIN_ALPHABET, PROTEIN_LETTERS, STANDARD_AMINO_ACIDS, normalizeProtein } from './amino';
export type { ProkkaGenus, ProteinRecord } from './prokka';
export { EC_CLASSES, PROKKA_GENERA, ecClass, prokkaFile, proteinSequence, readProkkaFile } from './prokka';
export type { ProteinDataSummary, ProteinDataset, ProteinExample, ProteinOptions, ProteinOptionsInput, ProteinSplits } from './protein';
export { DATASET_INFOS, PROTEIN_DATASETS, PROTEIN_TASK_VERSION, ProteinTask, proteinOptionsSchema, resolveProteinOptions } from './protein';
export { default } from './protein';
// Shared with task-dna; re-exported under the names this package has always exported.
export type { SplitFractions, SplitResult } from '@ssbench/data';
export { debianPackageVersion as debianVersion, dropConflicting, stratifiedGroupSplit } from '@ssbench/data';
export { sharedKmerGroups } from './splits';
