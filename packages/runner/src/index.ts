export { benchCommand } from './bench';
export type { BenchOptions, BenchRow } from './bench';
export { BUNDLED_PLUGINS, loadExperiment } from './experiment';
export type { Experiment, Resolved } from './experiment';
export { listPlugins } from './list';
export { cellKey, describeCell, makePlan } from './plan';
export type { FinetuneCell, Plan, PretrainJob } from './plan';
export { runExperiment } from './run';
export type { ProgressEvent, Reporter, RunOptions, RunSummary } from './run';
