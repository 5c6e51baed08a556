/**
 * @ssbench/backend-tfjs: executes ssbench IR graphs on TensorFlow.js (devices cpu, wasm; node, node-gpu when
 * @tensorflow/tfjs-node / -gpu are installed). Nothing is imported from tfjs until `probe` or `create` runs.
 */
import { makePlugin } from './plugin';

export type { Device, Importer, LoadResult, LoadedModules, TF } from './loader';
export { BACKEND_NAMES, DEVICES, NODE_PACKAGES, isNotInstalledError, loadModules } from './loader';
export type { TfjsExecutable, TfjsOptions, TfjsSession } from './plugin';
export { PLUGIN_NAME, createSession, makePlugin, optionsSchema, probeDevice } from './plugin';
export type { RunHooks, Step } from './executor';

const plugin = makePlugin();
export default plugin;
