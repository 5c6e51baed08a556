export type { GptObjectiveOptions, GptPacking } from './objective';
export { documentTokens, gptObjective, optionsSchema, packBlocks } from './objective';
export { gptObjective as default } from './objective';
