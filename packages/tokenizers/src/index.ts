export type { BasicTokenizerOptions } from './basic';
export {
  BasicTokenizer,
  isBertControl,
  isBertPunctuation,
  isBertWhitespace,
  isCjkIdeograph,
  stripAccents,
} from './basic';
export type { TrainWordPieceOptions } from './train';
export { trainWordPiece } from './train';
export type { DecodeOptions, Encoding, SpecialIds, WordPieceOptions } from './wordpiece';
export { BERT_SPECIAL_TOKENS, CONTINUATION_PREFIX, WordPiece } from './wordpiece';
