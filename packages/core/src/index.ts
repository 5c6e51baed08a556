export type {
  Architecture,
  Availability,
  BackendPlugin,
  BackendSession,
  Batch,
  ClassificationExample,
  CompileOptions,
  DecoderModel,
  EncoderDecoderModel,
  EncoderInputs,
  EncoderModel,
  EncoderOutputs,
  Executable,
  ForwardOptions,

  MetricSpec,
  ModelContext,
  ModelInstance,
  ModelPlugin,
  ObjectiveContext,
  ObjectiveInstance,
  ObjectivePlugin,
  Plugin,

  RandomSource,
  Seq2SeqDecoderInputs,
  Seq2SeqDecoderOutputs,
  Seq2SeqEncoderInputs,
  Seq2SeqEncoderOutputs,
  SpecialIds,
  TaskHead,
  TaskInstance,
  TaskPlugin,
  TaskSplits,
  TokenizedCorpus,
} from './contracts';
export type {
  BackendConfig,
  CorpusConfig,
  ExperimentConfig,
  FinetuneConfig,
  IncontextConfig,
  LrSchedule,
  ModelConfig,
  ObjectiveConfig,
  OptimizerConfig,
  PluginEntryConfig,
  PluginSchemaInfo,
  PretrainingConfig,
  TaskConfig,
  TimingConfig,
  TokenizerConfig,
  ValidateConfigOptions,
} from './config';
export {
  assembleConfigSchema,
  canonicalJson,
  configHash,
  coreConfigSchema,
  generatePublishedSchema,
  listPluginRefs,
  readConfigFile,
  validateConfig,
  validatePluginOptions,
} from './config';
export type { ErrorLocation, SsbenchErrorCode } from './errors';
export { SsbenchError, closestMatches, didYouMean, isSsbenchError } from './errors';
export type { ConfusionMatrix, Label, PrecisionRecallF1, PrfOptions } from './metrics';
export { accuracy, confusionMatrix, matthewsCorrcoef, meanStd, median, percentile, precisionRecallF1 } from './metrics';
export type { LoadOptions, PluginBase } from './registry';
export { PluginRegistry } from './registry';
export type {
  BackendInfo,
  FinetuneRecord,
  IncontextRecord,
  LossPoint,
  MachineInfo,
  PretrainRecord,
  Provenance,
  ResultRecord,
  SkippedRecord,
  Timing,
} from './results';
export { appendJsonl, isResultRecord, readJsonl, readResults, summarizeTiming, writeFileAtomic } from './results';
export { Rng } from './rng';
export type { JSONSchema, PluginKind } from './registry';
