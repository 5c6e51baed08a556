/**
 * The TensorFlow.js backend plugin: executes ssbench IR graphs (forward only; a training step is one graph).
 *
 * One engine per process: tfjs keeps a single global engine with one active backend. A session selects its
 * backend when created and re-selects it (`tf.setBackend`) at the start of every `compile` and `run` if another
 * session switched it meanwhile. `run` is synchronous from feed upload to output read-back, so two sessions in
 * one process never interleave inside a run; they take turns. Tensors a session keeps (graph constants) stay
 * valid across switches (tfjs moves their data to the active backend when used), but switching back and forth
 * costs those moves: run one session per process at a time when timing.
 */
import type { Availability, BackendPlugin, BackendSession, CompileOptions, Executable } from '@ssbench/core';
import type { Graph, Tensor } from '@ssbench/graph';
import { type CompiledGraph, type RunHooks, compileGraph, disposeCompiled, runCompiled } from './executor';
import { DEVICES, type Device, type Importer, type LoadedModules, type TF, defaultImporter, loadModules } from './loader';

export interface TfjsOptions {
  /** cpu | wasm | node | node-gpu (default wasm). */
  device?: Device;
}

export const PLUGIN_NAME = '@ssbench/backend-tfjs';
export const PLUGIN_VERSION = '0.1.0';

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    device: {
      enum: [...DEVICES],
      default: 'wasm',
      description: 'TensorFlow.js backend: cpu (pure JS), wasm (single-threaded SIMD in Node), node / node-gpu (need @tensorflow/tfjs-node / -gpu installed).',
    },
  },
} as const;

/** A compiled graph on a session; also exposes per-node hooks for profiling (bench/). */
export interface TfjsExecutable extends Executable {
  runWithHooks(feeds: Readonly<Record<string, Tensor>>, hooks: RunHooks): Promise<Record<string, Tensor>>;
  /** Number of interpreter steps (nodes). */
  readonly stepCount: number;
}

export interface TfjsSession extends BackendSession {
  readonly device: Device;
  /** The tfjs namespace this session runs on (tests, benchmarks). */
  readonly tf: TF;
  readonly backendName: string;
  compile(graph: Graph, options?: CompileOptions): Promise<TfjsExecutable>;
}

let wasmPathsSet = false;

/** Selects `modules`' backend and waits for it; sets the wasm binary path once per process. */
async function activate(m: LoadedModules): Promise<void> {
  const { tf } = m;
  if (m.wasm && !wasmPathsSet) {
    try {
      m.wasm.setWasmPaths(m.wasm.distDir);
    } catch (e) {
      // Already initialised by someone else (setWasmPaths throws then): the binary is loaded, nothing to do.
      if (!/already initialized/i.test((e as Error).message)) throw e;
    }
    wasmPathsSet = true;
  }
  if (tf.getBackend() !== m.backendName) {
    const ok = await tf.setBackend(m.backendName);
    if (!ok) throw new Error(`tfjs backend "${m.backendName}" failed to initialise`);
  }
  await tf.ready();
}

async function describe(m: LoadedModules): Promise<string> {
  const core = (m.tf.version as Record<string, string> | undefined)?.['tfjs-core'] ?? m.version;
  const features: string[] = [m.device];
  if (m.device === 'wasm') {
    try {
      if (await m.tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) features.push('simd');
      if (await m.tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) features.push('threads');
    } catch {
      // flags unknown: leave them out
    }
  }
  if (m.device === 'node' || m.device === 'node-gpu') return `tfjs ${core} (${m.packageName} ${m.version}, ${features.join(', ')})`;
  return `tfjs ${core} (${features.join(', ')})`;
}

export async function createSession(options: TfjsOptions = {}, importer: Importer = defaultImporter): Promise<TfjsSession> {
  const device = options.device ?? 'wasm';
  const loaded = await loadModules(device, importer);
  if (!loaded.ok) throw new Error(`${PLUGIN_NAME}: device ${device} is unavailable: ${loaded.reason}`);
  const m = loaded.modules;
  const { tf } = m;
  await activate(m);
  const version = await describe(m);
  const live = new Set<TfjsExecutable>();
  let disposed = false;

  const ensure = async () => {
    if (disposed) throw new Error(`${PLUGIN_NAME}: session (${device}) is disposed`);
    if (tf.getBackend() !== m.backendName) await activate(m);
  };

  const session: TfjsSession = {
    version,
    device,
    tf,
    backendName: m.backendName,
    async compile(graph: Graph): Promise<TfjsExecutable> {
      await ensure();
      let cg: CompiledGraph | undefined = compileGraph(tf, graph);
      const runOnce = async (feeds: Readonly<Record<string, Tensor>>, hooks?: RunHooks) => {
        if (!cg) throw new Error(`${PLUGIN_NAME}: executable for graph "${graph.name}" is disposed`);
        await ensure();
        return runCompiled(tf, graph, cg, feeds, hooks);
      };
      const exe: TfjsExecutable = {
        inputNames: graph.inputs.map((i) => i.name),
        outputNames: graph.outputs.map((o) => o.name),
        stepCount: cg.steps.length,
        run: (feeds) => runOnce(feeds),
        runWithHooks: (feeds, hooks) => runOnce(feeds, hooks),
        async dispose() {
          if (cg) disposeCompiled(cg);
          cg = undefined;
          live.delete(exe);
        },
      };
      live.add(exe);
      return exe;
    },
    memoryBytes() {
      return tf.memory().numBytes;
    },
    async dispose() {
      for (const e of [...live]) await e.dispose();
      disposed = true;
    },
  };
  return session;
}

export async function probeDevice(options: TfjsOptions = {}, importer: Importer = defaultImporter): Promise<Availability> {
  try {
    const device = options.device ?? 'wasm';
    const loaded = await loadModules(device, importer);
    if (!loaded.ok) return { available: false, reason: loaded.reason };
    const m = loaded.modules;
    return { available: true, version: m.version, detail: `${m.packageName} ${m.version}, tfjs backend "${m.backendName}"` };
  } catch (e) {
    return { available: false, reason: (e as Error).message ?? String(e) };
  }
}

/** Builds the plugin object; `importer` is injectable for tests. */
export function makePlugin(importer: Importer = defaultImporter): BackendPlugin<TfjsOptions> {
  return {
    kind: 'backend',
    name: PLUGIN_NAME,
    version: PLUGIN_VERSION,
    description: 'Executes ssbench IR graphs on TensorFlow.js (cpu, wasm; node, node-gpu when installed).',
    optionsSchema: optionsSchema as unknown as Record<string, unknown>,
    devices: DEVICES,
    probe: (options) => probeDevice(options, importer),
    create: (options) => createSession(options, importer),
  };
}
