export type { BartOptions, BartOptionsInput } from './bart';
export { BART_POSITION_OFFSET, BartModel, bartOptionsSchema, bartParamShapes, createBart, resolveBartOptions } from './bart';
export type { BartTokenIds, LoadedBartCheckpoint } from './checkpoint';
export { hfConfigOf, loadHfCheckpoint, saveHfCheckpoint } from './checkpoint';
export type { GenerationSession, GreedyOptions, GreedyResult } from './generate';
export { decoderStepGraph, encoderGraph, greedyGenerate } from './generate';
export { default } from './bart';
