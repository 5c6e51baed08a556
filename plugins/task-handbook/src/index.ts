export type { HandbookExample, HandbookSplits, HandbookTaskOptions, HandbookTaskOptionsInput } from './handbook';
export {
  HANDBOOK_DATASET,
  HANDBOOK_DATASET_INFO,
  HANDBOOK_DEFAULTS,
  HANDBOOK_TASK_VERSION,
  HandbookTask,
  chapterLabels,
  handbookOptionsSchema,
  locateHandbookRoot,
  pairLanguages,
  resolveHandbookTaskOptions,
  splitPairs,
} from './handbook';
export { default } from './handbook';
