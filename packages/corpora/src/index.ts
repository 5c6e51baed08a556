export type { Corpus, CorpusDocument, SotuOptions, TextFileOptions } from './corpus';
export { loadSotu, loadTextFile } from './corpus';
export { splitSentences } from './sentences';
export type {
  HandbookAlignment,
  HandbookAlignmentStats,
  HandbookChapter,
  HandbookLocation,
  HandbookOptions,
  HandbookPair,
  HandbookPairsOptions,
} from './handbook';
export {
  HANDBOOK_HTML_PATH,
  HANDBOOK_LICENCE,
  HANDBOOK_PACKAGE,
  loadHandbook,
  loadHandbookPairs,
  locateHandbook,
  resolveHandbookLang,
} from './handbook';
