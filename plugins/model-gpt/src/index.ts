export type { GptOptions, GptOptionsInput, GptPreset, KeyValue } from './gpt';
export { GPT_PRESETS, GptDecoder, createGpt, gptOptionsSchema, gptParamShapes, resolveGptOptions } from './gpt';
export type { CachedDecoder, GenerateOptions, GenerateResult } from './generate';
export { generateWithCache, pastKeyName, pastValueName, pickToken, presentKeyName, presentValueName } from './generate';
export type { LoadedGptCheckpoint } from './checkpoint';
export { hfGpt2ConfigOf, loadHfGpt2Checkpoint, saveHfGpt2Checkpoint } from './checkpoint';
export { default } from './gpt';
