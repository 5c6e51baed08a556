/**
 * ssbench-backend-check: an ssbench backend plugin.
 *
 * The backend: @ssbench/graph's reference interpreter (`interpret`), wrapped in the backend contract. It runs every
 * op of the IR on the CPU in plain JavaScript, in float32 or (option `precision`) in float64 with float32 results.
 * It is slow and exact: a starting point for a new runtime. To port ssbench to another runtime, keep `probe`,
 * `create`, `compile` and `run` and replace the calls to `interpret` with the runtime's: translate the graph once
 * in `compile` (that is where time should go), then only feed and fetch in `run`.
 *
 * Rules a backend follows: import the runtime lazily, inside `probe`/`create` (never at the top of this module: a
 * config that does not use this backend must not load it); `probe` never throws, it says why a device cannot
 * run; `run` returns host tensors of the graph's declared dtypes and shapes. `src/index.test.ts` runs the shared
 * conformance suite (`@ssbench/graph/testing`): every op, broadcasting, symbolic shapes, and training steps.
 */
import type { Availability, BackendPlugin, BackendSession, Executable, JSONSchema } from '@ssbench/core';
import { type Float64Tensor, type Graph, type Tensor, interpret, interpretedOps } from '@ssbench/graph';

/** The package name: how configs name this plugin once it is installed. */
export const PACKAGE_NAME = 'ssbench-backend-check';

/** The backend's version (recorded in results). */
export const BACKEND_VERSION = '0.1.0';

export const DEVICES = ['cpu'] as const;
export type Device = (typeof DEVICES)[number];

/** Options as a config writes them: every field is optional. */
export interface OptionsInput {
  device?: Device;
  precision?: 'float32' | 'float64';
}

/** Options with the defaults applied. */
export interface Options {
  device: Device;
  precision: 'float32' | 'float64';
}

/** JSON Schema (draft-07) of the options; the runner validates configs against it and fills in the defaults. */
export const optionsSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'ssbench-backend-check options',
  type: 'object',
  additionalProperties: false,
  properties: {
    device: { enum: [...DEVICES], default: 'cpu', description: 'Where graphs run: the interpreter runs on the CPU only.' },
    precision: {
      enum: ['float32', 'float64'],
      default: 'float32',
      description: 'Arithmetic of float values: float32 (as other backends), or float64 with results rounded to float32.',
    },
  },
};

function resolveOptions(input: OptionsInput): Options {
  return { device: input.device ?? 'cpu', precision: input.precision ?? 'float32' };
}

/** A host tensor of the declared dtype: float64 results are rounded to float32, as the graph declares. */
function toHost(t: Tensor | Float64Tensor): Tensor {
  if (t.data instanceof Float64Array && t.dtype === 'float32') return { dtype: t.dtype, shape: t.shape, data: Float32Array.from(t.data) };
  return t as Tensor;
}

class InterpretedGraph implements Executable {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private readonly graph: Graph;
  private readonly precision: Options['precision'];
  private disposed = false;

  constructor(graph: Graph, precision: Options['precision']) {
    this.graph = graph;
    this.precision = precision;
    this.inputNames = graph.inputs.map((i) => i.name);
    this.outputNames = graph.outputs.map((o) => o.name);
  }

  async run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    if (this.disposed) throw new Error(`${PACKAGE_NAME}: run() on a disposed executable (graph ${this.graph.name})`);
    if (this.precision === 'float32') return interpret(this.graph, feeds);
    const out = interpret(this.graph, feeds, { float64: true });
    return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, toHost(t)]));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

class InterpreterSession implements BackendSession {
  readonly version = `${PACKAGE_NAME} ${BACKEND_VERSION} (@ssbench/graph reference interpreter)`;
  readonly device: string;
  private readonly options: Options;

  constructor(options: Options) {
    this.options = options;
    this.device = options.device;
  }

  /** Checks that every op can run (a real backend translates the graph here) and returns the executable. */
  async compile(graph: Graph): Promise<Executable> {
    const known = new Set<string>(interpretedOps());
    const unsupported = [...new Set(graph.nodes.map((n) => n.op).filter((op) => !known.has(op)))];
    if (unsupported.length > 0) throw new Error(`${PACKAGE_NAME}: graph ${graph.name} uses ops this backend cannot run: ${unsupported.join(', ')}`);
    return new InterpretedGraph(graph, this.options.precision);
  }

  async dispose(): Promise<void> {}
}

const plugin = {
  kind: 'backend' as const,
  name: PACKAGE_NAME,
  version: BACKEND_VERSION,
  description: "@ssbench/graph's reference interpreter as a backend: every op, plain JavaScript, CPU, float32 or float64.",
  optionsSchema,
  devices: DEVICES,
  probe: async (options: OptionsInput): Promise<Availability> => {
    // A real backend loads its runtime here (`await import('my-runtime')`) and tries the device, inside try/catch.
    const o = resolveOptions(options);
    if (!DEVICES.includes(o.device)) return { available: false, reason: `unknown device ${JSON.stringify(o.device)} (this backend has ${DEVICES.join(', ')})` };
    return { available: true, version: `${PACKAGE_NAME} ${BACKEND_VERSION}`, detail: 'reference interpreter, always available' };
  },
  create: async (options: OptionsInput): Promise<BackendSession> => new InterpreterSession(resolveOptions(options)),
} satisfies BackendPlugin<OptionsInput>;

export default plugin;
