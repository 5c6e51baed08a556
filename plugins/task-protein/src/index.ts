export { PROTEIN_ALPHABET, PROTEIN_LETTERS, STANDARD_AMINO_ACIDS, normalizeProtein } from './amino';
export type { ProkkaGenus, ProteinRecord } from './prokka';
export { EC_CLASSES, PROKKA_GENERA, ecClass, prokkaFile, proteinSequence, readProkkaFile } from './prokka';
export type { ProteinDataSummary, ProteinDataset, ProteinExample, ProteinOptions, ProteinOptionsInput, ProteinSplits } from './protein';
export { DATASET_INFOS, PROTEIN_DATASETS, PROTEIN_TASK_VERSION, ProteinTask, debianVersion, proteinOptionsSchema, resolveProteinOptions } from './protein';
export { default } from './protein';
export type { SplitFractions, SplitResult } from './splits';
export { dropConflicting, sharedKmerGroups, stratifiedGroupSplit } from './splits';
