export type { Candidate, ClozeAnswerType, ClozeDocument, ClozeExample, ClozeSettings, ClozeSplitOptions, ClozeSplits } from './cloze';
export {
  CLOZE_ANSWER_TYPES,
  CLOZE_BLANK,
  clozeExamples,
  clozeQuestionSentence,
  clozeSplits,
  sentenceCandidates,
  sentenceWindows,
} from './cloze';
export type { SquadScores } from './metrics';
export { exactMatch, normalizeAnswer, scoreOne, squadScores, tokenF1 } from './metrics';
export type { Caps, ClozeOptions, DataSource, QaDataset, QaOptions, QaOptionsInput, SquadOptions, SquadSplits } from './qa';
export { QA_DATASETS, QA_TASK_VERSION, SotuClozeTask, SquadTask, createQaTask, qaDatasetStatus, qaOptionsSchema, resolveQaOptions } from './qa';
export type { SquadExample, SquadFile, SquadVersion } from './squad';
export { OFFSET_SEARCH_CHARS, locateAnswer, parseSquad, readSquadFile } from './squad';
export { default } from './qa';
