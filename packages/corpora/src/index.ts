export type { Corpus, CorpusDocument, SotuOptions, TextFileOptions } from './corpus';
export { loadSotu, loadTextFile } from './corpus';
export { splitSentences } from './sentences';
