/**
 * Compiles an IR graph into a tfjs interpreter: a flat list of steps (node kernels over integer value slots),
 * with every value's last use known, so that intermediates are disposed as soon as their last consumer ran.
 *
 * Compile time: topological order (checked), slot numbering, constant int64 data as JS arrays, float/int32/bool
 * initializers uploaded once as kept tensors, per-node kernels with resolved attributes, free lists.
 * Run time: feeds -> tensors, one `tf.tidy` per node (temporaries of a kernel die with it), outputs read back
 * synchronously and converted to host tensors, everything else disposed (also when a kernel throws).
 */
import type { DType, Graph, Tensor as HostTensor, TypedArray } from '@ssbench/graph';
import { tensor as hostTensor } from '@ssbench/graph';
import type { TF } from './loader';
import { HostInts, type Kernel, KernelError, type Strategy, type TfTensor, type Val, feedToTensor, isHost, makeKernel, strategyFor, tfDtype } from './ops';
import { type ExecNode, rewriteGraph } from './rewrite';

export interface Step {
  readonly node: ExecNode;
  readonly index: number;
  readonly kernel: Kernel;
  /** Slot per input; -1 for an omitted optional input. */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** Slots whose last use is this step (disposed right after it). */
  readonly free: readonly number[];
}

export interface CompiledGraph {
  readonly steps: readonly Step[];
  readonly slotNames: readonly string[];
  readonly inputSlots: readonly { name: string; slot: number; dtype: DType; shape: readonly (number | string)[] }[];
  readonly outputSlots: readonly { name: string; slot: number; dtype: DType }[];
  /** Constant slot values (kept tensors and host ints), by slot. */
  readonly constants: ReadonlyMap<number, Val>;
}

export interface RunHooks {
  /** Called before each step (profiling); return value ignored. */
  readonly beforeStep?: (step: Step) => void;
  readonly afterStep?: (step: Step) => void;
}

/** Builds the step list; uploads the graph's non-int64 initializers as kept tensors. */
export function compileGraph(tf: TF, graph: Graph, strategy: Strategy = strategyFor(tf.getBackend())): CompiledGraph {
  const slotOf = new Map<string, number>();
  const slotNames: string[] = [];
  const slot = (name: string): number => {
    let s = slotOf.get(name);
    if (s === undefined) {
      s = slotNames.length;
      slotOf.set(name, s);
      slotNames.push(name);
    }
    return s;
  };

  const defined = new Set<string>();
  const inputSlots = graph.inputs.map((v) => {
    defined.add(v.name);
    return { name: v.name, slot: slot(v.name), dtype: v.dtype, shape: v.shape };
  });

  const constants = new Map<number, Val>();
  const constData = new Map<string, number[]>();
  for (const [name, t] of graph.initializers) {
    if (defined.has(name)) continue; // an input overrides an initializer of the same name (ONNX IR >= 4)
    defined.add(name);
    const data = Array.from(t.data as ArrayLike<number | bigint>, Number);
    constData.set(name, data);
    if (t.dtype === 'int64') constants.set(slot(name), new HostInts('int64', [...t.shape], data));
  }

  const allNodes = rewriteGraph({ ...graph, nodes: topoOrder(graph, defined) });
  const isGraphOutput = new Set(graph.outputs.map((o) => o.name));
  const consumed = new Set<string>();
  for (const n of allNodes) for (const i of n.inputs) if (i) consumed.add(i);
  // Identity nodes cost nothing: their output shares the input's slot (graph outputs are mostly Identities).
  const nodes = allNodes.filter((n) => {
    if (n.op !== 'Identity' || !n.inputs[0] || !n.outputs[0] || slotOf.has(n.outputs[0])) return true;
    slotOf.set(n.outputs[0], slot(n.inputs[0]));
    const c = constData.get(n.inputs[0]);
    if (c) constData.set(n.outputs[0], c);
    return false;
  });

  const rankOf = (name: string): number => {
    const v = graph.values.get(name);
    if (v) return v.shape.length;
    const t = graph.initializers.get(name);
    if (t) return t.shape.length;
    throw new KernelError(`value "${name}" has no type information in graph "${graph.name}"`);
  };
  const dtypeOf = (name: string): DType | undefined => graph.values.get(name)?.dtype ?? graph.initializers.get(name)?.dtype;

  const created: TfTensor[] = [];
  const steps: Step[] = [];
  try {
    // Non-int64 initializers that are actually used become kept tensors.
    for (const [name, t] of graph.initializers) {
      if (t.dtype === 'int64' || !consumed.has(name) && !isGraphOutput.has(name)) continue;
      if (graph.inputs.some((i) => i.name === name)) continue;
      const tt = tf.keep(tf.tensor(t.data as Float32Array | Int32Array | Uint8Array, [...t.shape], tfDtype(t.dtype)));
      created.push(tt);
      constants.set(slot(name), tt);
    }
    nodes.forEach((node, index) => {
      const info = {
        node,
        inRanks: node.inputs.map((i) => (i ? rankOf(i) : -1)),
        inDtypes: node.inputs.map((i) => (i ? dtypeOf(i) : undefined)),
        outDtypes: node.outputs.map((o) => dtypeOf(o) ?? 'float32'),
        constData: node.inputs.map((i) => (i ? constData.get(i) : undefined)),
        outUsed: node.outputs.map((o) => consumed.has(o) || isGraphOutput.has(o)),
      };
      let kernel: Kernel;
      try {
        kernel = makeKernel(tf, info, strategy);
      } catch (e) {
        throw new KernelError(`tfjs backend: cannot compile node #${index} ${node.op} -> ${node.outputs.join(', ')}: ${(e as Error).message}`);
      }
      steps.push({ node, index, kernel, inputs: node.inputs.map((i) => (i ? slot(i) : -1)), outputs: node.outputs.map((o) => (o ? slot(o) : -1)), free: [] });
    });
  } catch (e) {
    for (const t of created) t.dispose();
    throw e;
  }

  // Last use of every non-constant, non-output slot.
  const lastUse = new Map<number, number>();
  steps.forEach((s, k) => {
    for (const i of s.inputs) if (i >= 0) lastUse.set(i, k);
  });
  const outputSlotSet = new Set(graph.outputs.map((o) => slotOf.get(o.name)));
  const free: number[][] = steps.map(() => []);
  const freeable = (s: number) => !constants.has(s) && !outputSlotSet.has(s);
  for (const inp of inputSlots) {
    const k = lastUse.get(inp.slot);
    if (k !== undefined && freeable(inp.slot)) free[k].push(inp.slot);
  }
  steps.forEach((s, k) => {
    for (const o of s.outputs) {
      if (o < 0 || !freeable(o)) continue;
      free[lastUse.get(o) ?? k].push(o); // never used: free right after it is made
    }
  });
  const finalSteps = steps.map((s, k) => ({ ...s, free: free[k] }));

  const outputSlots = graph.outputs.map((o) => {
    const s = slotOf.get(o.name);
    if (s === undefined) throw new KernelError(`graph output "${o.name}" is not produced by any node, input or initializer`);
    return { name: o.name, slot: s, dtype: o.dtype };
  });
  return { steps: finalSteps, slotNames, inputSlots, outputSlots, constants };
}

/** The graph's nodes in a valid order (its own order when that is topological, which the builder guarantees). */
function topoOrder(graph: Graph, defined: ReadonlySet<string>): Graph['nodes'][number][] {
  const have = new Set(defined);
  let ordered = true;
  for (const n of graph.nodes) {
    if (n.inputs.some((i) => i && !have.has(i))) {
      ordered = false;
      break;
    }
    for (const o of n.outputs) have.add(o);
  }
  if (ordered) return [...graph.nodes];
  // Kahn's algorithm over the given order.
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, k) => {
    for (const o of n.outputs) producer.set(o, k);
  });
  const done = new Set<number>();
  const out: Graph['nodes'][number][] = [];
  const visiting = new Set<number>();
  const visit = (k: number) => {
    if (done.has(k)) return;
    if (visiting.has(k)) throw new KernelError(`graph "${graph.name}" has a cycle through ${graph.nodes[k].op} -> ${graph.nodes[k].outputs.join(', ')}`);
    visiting.add(k);
    for (const i of graph.nodes[k].inputs) {
      if (!i || defined.has(i)) continue;
      const p = producer.get(i);
      if (p === undefined) throw new KernelError(`graph "${graph.name}": value "${i}" used by ${graph.nodes[k].op} is never defined`);
      visit(p);
    }
    visiting.delete(k);
    done.add(k);
    out.push(graph.nodes[k]);
  };
  for (let k = 0; k < graph.nodes.length; k++) visit(k);
  return out;
}

/** Checks a feed against the declared input (dtype, rank, fixed dims, symbols bound consistently). */
function checkFeed(name: string, t: HostTensor | undefined, dtype: DType, shape: readonly (number | string)[], symbols: Map<string, number>): void {
  if (!t) throw new KernelError(`missing feed "${name}"`);
  const okDtype = t.dtype === dtype || (dtype === 'int64' && t.dtype === 'int32');
  if (!okDtype) throw new KernelError(`feed "${name}": dtype ${t.dtype}, expected ${dtype}`);
  if (t.shape.length !== shape.length) throw new KernelError(`feed "${name}": shape [${t.shape}], expected [${shape}]`);
  shape.forEach((d, k) => {
    const got = t.shape[k];
    if (typeof d === 'number') {
      if (d !== got) throw new KernelError(`feed "${name}": shape [${t.shape}], expected [${shape}]`);
    } else if (/^[A-Za-z_][\w]*$/.test(d)) {
      const bound = symbols.get(d);
      if (bound === undefined) symbols.set(d, got);
      else if (bound !== got) throw new KernelError(`feed "${name}": dimension ${k} ("${d}") is ${got} but another feed bound it to ${bound}`);
    }
  });
}

function toHost(v: Val, dtype: DType, foreign: ReadonlySet<unknown>): HostTensor {
  const shape = [...v.shape];
  if (isHost(v)) {
    if (dtype === 'int64') return hostTensor('int64', shape, BigInt64Array.from(v.data, (x) => BigInt(x)));
    if (dtype === 'int32') return hostTensor('int32', shape, Int32Array.from(v.data));
    if (dtype === 'float32') return hostTensor('float32', shape, Float32Array.from(v.data));
    return hostTensor('bool', shape, Uint8Array.from(v.data, (x) => (x ? 1 : 0)));
  }
  let data = v.dataSync() as TypedArray;
  // The cpu backend stores (and returns) the very array a tensor was made from: never hand out a feed's or
  // an initializer's buffer as an output.
  if (foreign.has(data)) data = data.slice();
  switch (dtype) {
    case 'int64': {
      const src = data as Int32Array;
      const out = new BigInt64Array(src.length);
      for (let k = 0; k < src.length; k++) out[k] = BigInt(src[k]);
      return hostTensor('int64', shape, out);
    }
    case 'float32':
      return hostTensor('float32', shape, data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>));
    case 'int32':
      return hostTensor('int32', shape, data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>));
    case 'bool':
      return hostTensor('bool', shape, data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>));
  }
}

/**
 * Runs a compiled graph once. Synchronous from the first feed upload to the last read-back, so no other session
 * can switch the global tfjs backend in the middle of it.
 */
export function runCompiled(tf: TF, graph: Graph, cg: CompiledGraph, feeds: Readonly<Record<string, HostTensor>>, hooks?: RunHooks): Record<string, HostTensor> {
  const slots: (Val | undefined)[] = new Array(cg.slotNames.length);
  for (const [s, v] of cg.constants) slots[s] = v;
  const foreign = new Set<unknown>();
  for (const t of graph.initializers.values()) foreign.add(t.data);
  const owned = new Set<TfTensor>();
  const symbols = new Map<string, number>();
  try {
    for (const inp of cg.inputSlots) {
      const t = feeds[inp.name];
      checkFeed(inp.name, t, inp.dtype, inp.shape, symbols);
      foreign.add(t.data);
      const tt = feedToTensor(tf, t, inp.name);
      owned.add(tt);
      slots[inp.slot] = tt;
    }
    for (const step of cg.steps) {
      hooks?.beforeStep?.(step);
      const ins = step.inputs.map((s) => (s < 0 ? undefined : slots[s]));
      let outs: Val[] = [];
      try {
        tf.tidy(() => {
          outs = step.kernel(ins);
          // A kernel must not hand back one of its inputs: the input may be disposed independently.
          outs = outs.map((o) => (!isHost(o) && ins.includes(o) ? tf.clone(o) : o));
          return outs.filter((o): o is TfTensor => !isHost(o));
        });
      } catch (e) {
        const shapes = ins.map((v) => (v ? `[${v.shape.join(',')}]` : '-')).join(' ');
        const err = new KernelError(`tfjs backend: node #${step.index} ${step.node.op} -> ${step.node.outputs.join(', ')} failed on inputs ${shapes}: ${(e as Error).message}`);
        (err as { cause?: unknown }).cause = e;
        throw err;
      }
      step.outputs.forEach((s, k) => {
        if (s < 0) return;
        const o = outs[k];
        if (o === undefined) throw new KernelError(`tfjs backend: node #${step.index} ${step.node.op} produced no output ${k}`);
        slots[s] = o;
        if (!isHost(o)) owned.add(o);
      });
      for (const s of step.free) {
        const v = slots[s];
        if (v && !isHost(v)) {
          v.dispose();
          owned.delete(v);
        }
        slots[s] = undefined;
      }
      hooks?.afterStep?.(step);
    }
    const result: Record<string, HostTensor> = {};
    for (const o of cg.outputSlots) {
      const v = slots[o.slot];
      if (v === undefined) throw new KernelError(`graph output "${o.name}" was not computed`);
      result[o.name] = toHost(v, o.dtype, foreign);
    }
    return result;
  } finally {
    for (const t of owned) t.dispose();
  }
}

export function disposeCompiled(cg: CompiledGraph): void {
  for (const v of cg.constants.values()) if (!isHost(v)) v.dispose();
}
