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
export type { DecodeOptions, Encoding, EncodingWithOffsets, SpecialIds, WordPieceOptions } from './wordpiece';
export { BERT_SPECIAL_TOKENS, CONTINUATION_PREFIX, WordPiece } from './wordpiece';
export {
  byteSymbolsToBytes,
  byteTableOrder,
  bytesToUnicode,
  forEachPreToken,
  fromByteSymbols,
  GPT2_SPLIT_PATTERN,
  gpt2PreTokenize,
  toByteSymbols,
  unicodeToBytes,
  utf8Decode,
} from './bytes';
export type {
  BpeMerge,
  ByteLevelBPEOptions,
  ByteLevelBPEStrings,
  ByteLevelDecodeOptions,
  ByteLevelEncodeOptions,
  ByteLevelEncoding,
  ByteLevelEncodingWithOffsets,
} from './bpe';
export { ByteLevelBPE, ENDOFTEXT, MERGES_HEADER, parseMergesTxt, parseVocabJson } from './bpe';
export type { TrainByteLevelBPEOptions } from './bpe-train';
export { trainByteLevelBPE } from './bpe-train';
