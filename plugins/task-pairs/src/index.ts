export type {
  AlignedVerse,
  Alignment,
  BibleCacheMeta,
  BibleOptions,
  BiblePairExample,
  BibleSplits,
  DiathekeParse,
  PairKind,
  ParsedVerse,
  RunCommand,
  VerseRef,
  VerseSplits,
} from './bible';
export {
  BIBLE_BOOKS,
  BIBLE_DATASET,
  BIBLE_LABELS,
  BibleParaphraseTask,
  INSTALL_COMMAND,
  MAX_LENGTH_RATIO,
  TRANSLATIONS,
  alignVerses,
  bibleCacheFile,
  bibleStatus,
  cleanVerseText,
  lengthsAgree,
  makeBibleSplits,
  normaliseVerse,
  parseDiatheke,
  prepareBible,
  readBibleCache,
  samplePairs,
  splitVerses,
  writeBibleCache,
} from './bible';
export type { GlueExample, GlueFormat, GlueOptions, GlueTaskName } from './glue';
export { GLUE_FORMATS, GLUE_TASKS, GlueClassificationTask, GlueRegressionTask, createGlueTask, holdOutDev, loadGlueSplits, parseGlueTsv } from './glue';
export type { PairsOptions, PairsOptionsInput } from './pairs';
export { BIBLE_DEFAULT_MAX_EXAMPLES, PAIRS_TASK_VERSION, createPairsTask, pairsOptionsSchema, resolvePairsOptions } from './pairs';
export type { DataSource, FetchLike } from './sources';
export { describeSource, readSource } from './sources';
export { readZipMember } from './zip';
export { default } from './pairs';
