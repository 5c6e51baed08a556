/**
 * The onnxruntime-node backend: serialises an ssbench IR graph to ONNX (`toOnnx`, parameters stay graph
 * inputs so one session serves training steps and inference) and runs it with one InferenceSession.
 *
 * Reference: onnxruntime-node 1.30 JS API (https://onnxruntime.ai/docs/api/js/), session options
 * (intra-op threads, sequential execution, graph optimisation level).
 *
 * Data path: feeds are wrapped as `ort.Tensor(type, data, dims)` over the caller's typed arrays (no copy; the
 * native binding reads them in place), and outputs are the typed arrays ORT allocated for this run, handed
 * back as ssbench tensors without a copy. Every run's outputs are fresh buffers, so feeding one step's outputs
 * (new parameters, optimizer state) into the next step is safe; what is NOT safe with ORT is passing
 * preallocated fetch buffers that are also feeds (results go wrong from step 2 on), and this backend never
 * passes fetch buffers.
 *
 * Execution providers: cpu always; cuda and webgpu only where their libraries and a device exist. A session
 * is created with exactly one provider: `['cuda', 'cpu']` would not fall back in onnxruntime-node, so `probe`
 * tries the provider alone on a tiny model and reports why it is unusable.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { Availability, BackendPlugin, BackendSession, CompileOptions, Executable } from '@ssbench/core';
import { type DType, type Graph, GraphBuilder, type Tensor, type ValueInfo, toOnnx } from '@ssbench/graph';

type Ort = typeof import('onnxruntime-node');
type OrtTensor = import('onnxruntime-node').Tensor;
type OrtSession = import('onnxruntime-node').InferenceSession;

export const PLUGIN_NAME = '@ssbench/backend-onnxruntime';
export const PLUGIN_VERSION = '0.1.0';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];
export const OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'layout', 'all'] as const;
export type GraphOptimizationLevel = (typeof OPTIMIZATION_LEVELS)[number];

export interface OrtOptions {
  /** Execution provider (default cpu). */
  executionProvider?: ExecutionProvider;
  /** Intra-op threads (default: os.availableParallelism()). */
  threads?: number;
  /** ORT graph optimisation level (default all). */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** Let idle intra-op pool threads busy-wait for work (default false; see `optionsSchema`). */
  spinning?: boolean;
}

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    executionProvider: {
      enum: [...EXECUTION_PROVIDERS],
      default: 'cpu',
      description: 'onnxruntime execution provider: cpu (bundled), cuda (needs the CUDA provider libraries and a GPU), webgpu (needs a WebGPU adapter).',
    },
    threads: {
      type: 'integer',
      minimum: 1,
      description: "Intra-op threads. Default: the machine's available parallelism (os.availableParallelism()).",
    },
    graphOptimizationLevel: {
      enum: [...OPTIMIZATION_LEVELS],
      default: 'all',
      description: 'onnxruntime graph optimisation level.',
    },
    spinning: {
      type: 'boolean',
      default: false,
      description:
        "Let idle intra-op threads busy-wait for the next parallel section (onnxruntime's own default). Off by default: a " +
        'training step runs ~1000 kernels, and spinning threads compete with the working one whenever the cores are shared ' +
        '(measured on 2 shared cores: 2-thread step 410-890 ms spinning vs 200-325 ms not), and it matches the PyTorch ' +
        'peer, which bench:peers runs with OMP_WAIT_POLICY=PASSIVE. Only matters with threads > 1.',
    },
  },
} as const;

/** A compiled graph, with how long compiling took (ONNX serialisation and session creation, in ms). */
export interface OrtExecutable extends Executable {
  readonly serializeMs: number;
  readonly sessionMs: number;
  /** Size of the serialised ONNX model. */
  readonly modelBytes: number;
  /** The execution provider the session runs on. */
  readonly executionProvider: ExecutionProvider;
}

export interface OrtSessionHandle extends BackendSession {
  readonly device: ExecutionProvider;
  readonly threads: number;
  readonly graphOptimizationLevel: GraphOptimizationLevel;
  readonly spinning: boolean;
  compile(graph: Graph, options?: CompileOptions): Promise<OrtExecutable>;
}

// ---- loading onnxruntime-node lazily -----------------------------------------------------------------------

let ortPromise: Promise<Ort> | undefined;

/** Imports onnxruntime-node once (lazily: importing this plugin loads no native code). */
export function loadOrt(): Promise<Ort> {
  if (!ortPromise) {
    ortPromise = import('onnxruntime-node').then((m) => {
      // CJS interop: named exports when Node's lexer finds them, else under `default`.
      const mod = (m as unknown as { InferenceSession?: unknown; default?: Ort }).InferenceSession ? (m as Ort) : (m as unknown as { default: Ort }).default;
      if (!mod?.InferenceSession) throw new Error('onnxruntime-node loaded but has no InferenceSession export');
      return mod;
    });
    ortPromise.catch(() => {
      ortPromise = undefined; // let a later call retry (and report) instead of caching the failure
    });
  }
  return ortPromise;
}

/** The onnxruntime-node version, e.g. "1.30.0". */
export async function ortVersion(): Promise<string> {
  const ort = await loadOrt();
  const versions = (ort.env as { versions?: Record<string, string> }).versions;
  return versions?.node ?? versions?.common ?? 'unknown';
}

/** One line a user can act on, from an ORT error (which may carry source paths and several lines). */
export function summariseOrtError(e: unknown): string {
  const raw = (e instanceof Error ? e.message : String(e)).trim();
  let line = raw.split('\n').find((l) => l.trim() !== '') ?? raw;
  const tail = line.match(/(?:was false\.|\[ONNXRuntimeError\] : \d+ : \w+ : )\s*(.+)$/);
  if (tail) line = tail[1];
  line = line.trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** Where onnxruntime-node's native binding lives (provider libraries must sit beside it). */
function bindingDir(): string | undefined {
  try {
    const req = createRequire(import.meta.url);
    const pkg = req.resolve('onnxruntime-node/package.json');
    return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

function providerHint(ep: ExecutionProvider): string {
  if (ep !== 'cuda') return '';
  const dir = bindingDir();
  if (!dir) return '';
  const missing = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'].filter((f) => !existsSync(join(dir, f)));
  return missing.length
    ? ` (${missing.join(' and ')} not found in ${dir}: onnxruntime-node's install script downloads the CUDA provider, which also needs the CUDA and cuDNN libraries and a GPU)`
    : '';
}

// ---- conversions -----------------------------------------------------------------------------------------

const ORT_TO_DTYPE: Record<string, DType | undefined> = { float32: 'float32', int32: 'int32', int64: 'int64', bool: 'bool' };

function fromOrt(name: string, t: OrtTensor): Tensor {
  const dtype = ORT_TO_DTYPE[t.type];
  if (!dtype) throw new Error(`${PLUGIN_NAME}: output "${name}" has ORT type ${t.type}, which ssbench does not use`);
  return { dtype, shape: [...t.dims], data: t.data as Tensor['data'] };
}

function checkFeed(graph: Graph, info: ValueInfo, t: Tensor | undefined, bound: Map<string, number>): Tensor {
  const name = info.name;
  if (!t) throw new Error(`${PLUGIN_NAME}: missing feed "${name}" for graph "${graph.name}"`);
  if (t.dtype !== info.dtype) throw new Error(`${PLUGIN_NAME}: feed "${name}": dtype ${t.dtype}, expected ${info.dtype}`);
  if (t.shape.length !== info.shape.length) throw new Error(`${PLUGIN_NAME}: feed "${name}": shape [${t.shape.join(', ')}], expected [${info.shape.join(', ')}]`);
  info.shape.forEach((d, k) => {
    const got = t.shape[k];
    if (typeof d === 'number') {
      if (d !== got) throw new Error(`${PLUGIN_NAME}: feed "${name}": shape [${t.shape.join(', ')}], expected [${info.shape.join(', ')}]`);
    } else {
      const b = bound.get(d);
      if (b === undefined) bound.set(d, got);
      else if (b !== got) throw new Error(`${PLUGIN_NAME}: feed "${name}": dimension ${k} ("${d}") is ${got} but another feed bound it to ${b}`);
    }
  });
  return t;
}

// ---- probe, session, compile -----------------------------------------------------------------------------

function tinyModel(): Uint8Array {
  const b = new GraphBuilder('ssbench-probe');
  const x = b.input('x', 'float32', ['n']);
  b.output('y', b.add(x, x));
  return toOnnx(b.build(), { valueInfo: false });
}

export async function probe(options: OrtOptions = {}): Promise<Availability> {
  const ep = options.executionProvider ?? 'cpu';
  let ort: Ort;
  let version: string;
  try {
    if (!(EXECUTION_PROVIDERS as readonly string[]).includes(ep)) return { available: false, reason: `unknown execution provider "${ep}" (known: ${EXECUTION_PROVIDERS.join(', ')})` };
    ort = await loadOrt();
    version = await ortVersion();
  } catch (e) {
    return { available: false, reason: `onnxruntime-node cannot be loaded: ${summariseOrtError(e)}` };
  }
  let session: OrtSession | undefined;
  try {
    const listed = ort.listSupportedBackends?.().find((b) => b.name === ep);
    session = await ort.InferenceSession.create(tinyModel(), { executionProviders: [ep], logSeverityLevel: 4 });
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 2]), [2]) });
    const y = out.y?.data as Float32Array | undefined;
    if (y?.[0] !== 2 || y[1] !== 4) return { available: false, reason: `execution provider "${ep}" computed a wrong result on a test model` };
    return {
      available: true,
      version,
      detail: `onnxruntime-node ${version}, execution provider ${ep}${listed && !listed.bundled ? ' (not bundled)' : ''}`,
    };
  } catch (e) {
    return { available: false, reason: `onnxruntime-node ${version}: execution provider "${ep}" is unusable: ${summariseOrtError(e)}${providerHint(ep)}` };
  } finally {
    try {
      await session?.release();
    } catch {
      // nothing to release
    }
  }
}

export async function createSession(options: OrtOptions = {}): Promise<OrtSessionHandle> {
  const ep = options.executionProvider ?? 'cpu';
  const level = options.graphOptimizationLevel ?? 'all';
  const spinning = options.spinning ?? false;
  const defaultThreads = options.threads ?? availableParallelism();
  if (!Number.isInteger(defaultThreads) || defaultThreads < 1) throw new Error(`${PLUGIN_NAME}: threads must be an integer >= 1, got ${defaultThreads}`);
  if (!(OPTIMIZATION_LEVELS as readonly string[]).includes(level)) throw new Error(`${PLUGIN_NAME}: unknown graphOptimizationLevel "${level}"`);
  if (ep !== 'cpu') {
    const a = await probe({ executionProvider: ep });
    if (!a.available) throw new Error(`${PLUGIN_NAME}: ${a.reason}`);
  }
  const ort = await loadOrt();
  const version = `onnxruntime-node ${await ortVersion()}`;
  const live = new Set<OrtExecutable>();
  let disposed = false;

  const handle: OrtSessionHandle = {
    version,
    device: ep,
    threads: defaultThreads,
    graphOptimizationLevel: level,
    spinning,
    async compile(graph: Graph, compileOptions: CompileOptions = {}): Promise<OrtExecutable> {
      if (disposed) throw new Error(`${PLUGIN_NAME}: session (${ep}) is disposed`);
      const threads = compileOptions.threads ?? defaultThreads;
      const t0 = performance.now();
      const bytes = toOnnx(graph, { valueInfo: false, producer: 'ssbench' });
      const t1 = performance.now();
      let session: OrtSession | undefined;
      try {
        session = await ort.InferenceSession.create(bytes, {
          executionProviders: [ep],
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          graphOptimizationLevel: level,
          logSeverityLevel: 3,
          // Session config entries (onnxruntime_session_options_config_keys.h); the Node binding joins the keys with '.'.
          extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } },
        });
      } catch (e) {
        throw new Error(`${PLUGIN_NAME}: onnxruntime rejected graph "${graph.name}": ${(e as Error).message}`);
      }
      const t2 = performance.now();
      const inputNames = graph.inputs.map((i) => i.name);
      const outputNames = graph.outputs.map((o) => o.name);
      const exe: OrtExecutable = {
        inputNames,
        outputNames,
        serializeMs: t1 - t0,
        sessionMs: t2 - t1,
        modelBytes: bytes.byteLength,
        executionProvider: ep,
        async run(feeds) {
          const s = session;
          if (!s) throw new Error(`${PLUGIN_NAME}: executable for graph "${graph.name}" is disposed`);
          const bound = new Map<string, number>();
          const ortFeeds: Record<string, OrtTensor> = {};
          for (const info of graph.inputs) {
            const t = checkFeed(graph, info, feeds[info.name], bound);
            // No copy: ORT reads the caller's typed array in place (bool is a Uint8Array, int64 a BigInt64Array).
            ortFeeds[info.name] = new ort.Tensor(t.dtype, t.data, t.shape);
          }
          const out = await s.run(ortFeeds);
          const result: Record<string, Tensor> = {};
          for (const name of outputNames) {
            const t = out[name];
            if (!t) throw new Error(`${PLUGIN_NAME}: onnxruntime returned no output "${name}"`);
            result[name] = fromOrt(name, t);
          }
          return result;
        },
        async dispose() {
          const s = session;
          session = undefined;
          live.delete(exe);
          if (s) await s.release();
        },
      };
      live.add(exe);
      return exe;
    },
    async dispose() {
      for (const e of [...live]) await e.dispose();
      disposed = true;
    },
  };
  return handle;
}

const plugin: BackendPlugin<OrtOptions> = {
  kind: 'backend',
  name: PLUGIN_NAME,
  version: PLUGIN_VERSION,
  description: 'Executes ssbench IR graphs on onnxruntime-node (CPU execution provider; CUDA and WebGPU where usable).',
  optionsSchema,
  devices: EXECUTION_PROVIDERS,
  probe: (options) => probe(options),
  create: (options) => createSession(options),
};

export default plugin;
