/**
 * The training loop around a compiled training-step graph: feeds parameters, optimizer state, the batch, the
 * step number and dropout masks; takes the updated state from the outputs and feeds it back the next step.
 * The loop itself is backend-agnostic: everything a backend does is `Executable.run`.
 */
import type { Batch, Executable, RandomSource } from '@ssbench/core';
import { type DropoutSpec, type Graph, type Shape, type Tensor, type TrainingGraph, tensor } from '@ssbench/graph';

/** Binds symbolic dimensions (e.g. "batch", "seq") from the shapes of the fed tensors. */
export function bindSymbols(graph: Graph, feeds: Readonly<Record<string, Tensor>>): Map<string, number> {
  const dims = new Map<string, number>();
  for (const input of graph.inputs) {
    const t = feeds[input.name];
    if (!t) continue;
    input.shape.forEach((d, i) => {
      if (typeof d === 'string' && !d.includes('*')) dims.set(d, t.shape[i]);
    });
  }
  return dims;
}

export function resolveShape(shape: Shape, dims: ReadonlyMap<string, number>): number[] {
  return shape.map((d) => {
    if (typeof d === 'number') return d;
    return d.split('*').reduce((n, f) => {
      const v = /^\d+$/.test(f) ? Number(f) : dims.get(f);
      if (v === undefined) throw new Error(`cannot resolve dimension "${f}" of [${shape.join(', ')}]`);
      return n * v;
    }, 1);
  });
}

/**
 * Fills `out` with an inverted-dropout keep-mask: each element independently 0 with probability `rate`, else
 * 1/(1-rate). Instead of one uniform per element (1.3M per step for the quickstart model, ~20 ms of JS), it draws
 * the gaps between dropped elements, which are geometric: P(gap = k) = (1-rate)^k rate, sampled by inversion as
 * floor(ln(u) / ln(1-rate)) with u uniform in (0, 1]. Same distribution, one uniform per dropped element
 * (~4 ms per step). Deterministic given the RNG, so every backend is fed the same masks.
 */
export function fillDropoutMask(out: Float32Array, rate: number, rng: RandomSource): Float32Array {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  out.fill(1 / (1 - rate));
  if (rate === 0) return out;
  const invLogKeep = 1 / Math.log1p(-rate); // 1 / ln(1 - rate) < 0
  const gap = () => Math.floor(Math.log(1 - rng.next()) * invLogKeep); // kept elements before the next dropped one
  for (let i = gap(); i < out.length; i += 1 + gap()) out[i] = 0;
  return out;
}

/** Inverted-dropout keep-masks for every spec: 0 with probability `rate`, else 1/(1-rate) (`fillDropoutMask`). */
export function dropoutMasks(specs: readonly DropoutSpec[], dims: ReadonlyMap<string, number>, rng: RandomSource): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const s of specs) {
    const shape = resolveShape(s.shape, dims);
    const n = shape.reduce((a, b) => a * b, 1);
    out[s.name] = tensor('float32', shape, fillDropoutMask(new Float32Array(n), s.rate, rng));
  }
  return out;
}

export interface StepResult {
  loss: number;
  ms: number;
  extra: Record<string, Tensor>;
}

export class TrainLoop {
  private state: Record<string, Tensor>;
  private stepNo = 0;

  constructor(
    private readonly exe: Executable,
    private readonly tg: TrainingGraph,
    private readonly dropouts: readonly DropoutSpec[],
    initialState: Record<string, Tensor>,
    private readonly rng: RandomSource,
  ) {
    this.state = { ...initialState };
    for (const s of tg.state) if (!this.state[s.input]) throw new Error(`training state "${s.input}" has no initial value`);
  }

  get step(): number {
    return this.stepNo;
  }

  async run(batch: Batch): Promise<StepResult> {
    const t0 = performance.now();
    this.stepNo += 1;
    const dims = bindSymbols(this.tg.graph, batch);
    const feeds: Record<string, Tensor> = {
      ...this.state,
      ...batch,
      ...dropoutMasks(this.dropouts, dims, this.rng),
      [this.tg.stepInput]: tensor('float32', [], [this.stepNo]),
    };
    const out = await this.exe.run(feeds);
    const next: Record<string, Tensor> = {};
    for (const s of this.tg.state) next[s.input] = out[s.output];
    this.state = next;
    const loss = (out[this.tg.lossOutput].data as Float32Array)[0];
    const extra: Record<string, Tensor> = {};
    for (const [k, name] of Object.entries(this.tg.extraOutputs)) extra[k] = out[name];
    return { loss, ms: performance.now() - t0, extra };
  }

  /** Current parameters (not the optimizer state), by name. */
  weights(): Map<string, Tensor> {
    return new Map(this.tg.params.map((p) => [p.name, this.state[p.name]]));
  }
}
