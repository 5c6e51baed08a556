export type { BertOptions, BertOptionsInput, BertPreset } from './bert';
export {
  BERT_PRESETS,
  BertEncoder,
  bertEncoderParamShapes,
  bertOptionsSchema,
  bertPretrainingHeadShapes,
  createBert,
  resolveBertOptions,
} from './bert';
export type { LoadedBertCheckpoint } from './checkpoint';
export { hfConfigOf, loadHfCheckpoint, saveHfCheckpoint } from './checkpoint';
export { default } from './bert';
