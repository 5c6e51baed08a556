export type { SentimentDomain, SentimentExample, SentimentOptions, SentimentOptionsInput, SentimentSplits } from './sentiment';
export {
  SENTIMENT_DOMAINS,
  SENTIMENT_LABELS,
  SENTIMENT_TASK_VERSION,
  SentimentTask,
  domainFile,
  readDomainFile,
  resolveSentimentOptions,
  sentimentOptionsSchema,
  sentimentPackage,
  splitDomain,
} from './sentiment';
export { default } from './sentiment';
