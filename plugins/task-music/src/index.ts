export type { Table } from './csv';
export { parseDelimited } from './csv';
export type { GrooveCacheHeader, GrooveFamily, GrooveRecord, MmaInstall, PrepareGroovesOptions } from './grooves';
export {
  GROOVES_DATASET,
  RENDER,
  grooveSong,
  groovesCacheFile,
  locateMma,
  mmaVersion,
  prepareGrooves,
  readGrooveCache,
  renderGroove,
  scanStyleLibrary,
  variantGroups,
} from './grooves';
export type { EncodeOptions, PerformanceEvent } from './midi';
export { DEFAULT_ENCODE_OPTIONS, encodeEvents, encodeMidi, eventAlphabet, performanceEvents, readMidi, windowsOf } from './midi';
export type { MusicDataset, MusicExample, MusicItem, MusicOptions, MusicOptionsInput, MusicSplits, SplitName, SplitPlan } from './music';
export {
  MUSIC_TASK_VERSION,
  MusicTask,
  dealGroups,
  grooveItems,
  midiDirItems,
  musicDatasetStatus,
  musicDatasets,
  musicOptionsSchema,
  planSplits,
  prepareMusicDataset,
  resolveMusicOptions,
} from './music';
export { default } from './music';
