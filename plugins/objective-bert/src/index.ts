export type { DynamicMaskingOptions, MaskedSequence, StaticMaskingOptions, WholeWordOption } from './masking';
export { maskDynamic, maskingCandidates, maskStatic, roundHalfEven, staticMaskCount } from './masking';
export type {
  NspExample,
  NspOptions,
  PackedPair,
  PairSpecialIds,
  SentencePairOptions,
  SentenceTokens,
  TokenizedDocument,
  TokenizedDocuments,
  TokenizedSentence,
} from './pairs';
export { makeNspExamples, makeSentencePairs, packPair, truncateSeqPair } from './pairs';
export type { BertObjectiveOptions } from './objective';
export { bertObjective, optionsSchema, splitLongSentences, swapSegments } from './objective';
export { bertObjective as default } from './objective';
