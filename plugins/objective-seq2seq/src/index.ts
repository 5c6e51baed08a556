export type { ComposeContext, ComposeResult, NoiseSpec, NoiseStep } from './compose';
export { applyNoise, compose } from './compose';
export type { InsertionResult, MaskedSpan, MaskingResult, NoiseResult, PermutationResult, RotationResult } from './denoising';
export {
  ceilCount,
  checkSequence,
  documentRotation,
  sentencePermutation,
  sentenceSpans,
  textInfilling,
  tokenDeletion,
  tokenInsertion,
  tokenMasking,
  undoRotation,
  wholeWordMask,
} from './denoising';
export type { MassPlacement, MassReplacement, MassResult } from './mass';
export { massFragmentLength, massMasking } from './mass';
export type {
  DocumentRotationOptions,
  MaskLength,
  MassOptions,
  NoiseContext,
  NoiseKind,
  NoiseOptionsByKind,
  ReplaceLength,
  ResolvedNoiseOptions,
  SentencePermutationOptions,
  TextInfillingOptions,
  TokenDeletionOptions,
  TokenInsertionOptions,
  TokenMaskingOptions,
  WholeWordMaskOptions,
} from './options';
export {
  checkNoiseContext,
  checkNoiseKind,
  composeSchema,
  NOISE_KINDS,
  noiseOptionsSchema,
  noiseOptionsSchemas,
  resolveNoiseOptions,
} from './options';
export type { PoissonSampler } from './poisson';
export { checkPoissonLambda, createPoissonSampler, MAX_POISSON_LAMBDA, poissonTable } from './poisson';
export type { Seq2SeqExample, Seq2SeqInstance, Seq2SeqObjectiveOptions } from './objective';
export {
  checkNoises,
  contentBudget,
  createSeq2SeqObjective,
  DEFAULT_NOISES,
  documentExamples,
  seq2seqObjective,
  seq2seqObjectiveSchema,
} from './objective';
export { seq2seqObjective as default } from './objective';
