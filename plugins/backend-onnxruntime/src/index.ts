export type { ExecutionProvider, GraphOptimizationLevel, OrtExecutable, OrtOptions, OrtSessionHandle } from './plugin';
export {
  EXECUTION_PROVIDERS,
  OPTIMIZATION_LEVELS,
  PLUGIN_NAME,
  PLUGIN_VERSION,
  createSession,
  loadOrt,
  optionsSchema,
  ortVersion,
  probe,
  summariseOrtError,
} from './plugin';
export { default } from './plugin';
