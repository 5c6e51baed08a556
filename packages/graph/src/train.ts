/**
 * The training-step graph: forward + backward (symbolic autodiff) + AdamW, one graph (DESIGN.md section 2).
 *
 * Inputs: the model's batch inputs and dropout masks, every parameter (under its Hugging Face name), the AdamW
 * moments `optimizer.m.<param>` / `optimizer.v.<param>` and the 1-based float32 scalar `optimizer.step`.
 * Outputs: `loss`, `optimizer.lr`, `updated.<name>` for every parameter and moment (feed each back as the
 * input `<name>` of the next step), the caller's extra outputs, and `optimizer.grad_norm` when clipping.
 *
 * Initialisation follows Hugging Face `BertPreTrainedModel._init_weights`: weights ~ N(0, std^2) (plain normal,
 * not truncated), biases zero, LayerNorm weights one (the `ParamInit` of each parameter says which).
 * References: see optim.ts (AdamW, schedule, clipping) and autodiff.ts (gradients).
 */
import { type GraphBuilder, GraphError, type ParamSpec, type Value } from './builder';
import type { Graph, Tensor } from './ir';
import { sizeOf, tensor } from './ir';
import { gradients } from './autodiff';
import { type OptimizerOptions, adamStateNames, adamw } from './optim';

export interface TrainingGraph {
  readonly graph: Graph;
  /** The trainable parameters (`b.params`), in declaration order. */
  readonly params: ParamSpec[];
  /** Name of the 1-based float32 scalar step input (`optimizer.step`). */
  readonly stepInput: string;
  /** Every parameter, Adam m and Adam v: feed `output` of one step back as `input` of the next. */
  readonly state: { input: string; output: string }[];
  readonly lossOutput: string;
  /** The caller's extra outputs: key -> graph output name. */
  readonly extraOutputs: Record<string, string>;
  /** The learning rate used by this step ([] float32). */
  readonly lrOutput: string;
  /** The global gradient norm before clipping ([] float32), present when `clipNorm` is set. */
  readonly gradNormOutput?: string;
}

export const STEP_INPUT = 'optimizer.step';

/** The output name under which an updated parameter or optimizer state is returned. */
export function updatedName(input: string): string {
  return `updated.${input}`;
}

/**
 * Appends the backward pass and AdamW to `b` (which holds the forward graph and the scalar `loss`) and builds
 * the training-step graph. `extraOutputs` (e.g. metrics) become graph outputs named by their keys.
 */
export function buildTrainingGraph(b: GraphBuilder, loss: Value, opts: OptimizerOptions, extraOutputs: Record<string, Value> = {}): TrainingGraph {
  if (loss.shape.some((d) => d !== 1)) throw new GraphError(`buildTrainingGraph: loss "${loss.name}" must be a scalar, got shape [${loss.shape}]`);
  if (b.params.length === 0) throw new GraphError('buildTrainingGraph: the builder declares no parameters');
  const params = [...b.params];
  const paramValues = params.map((p) => b.value(p.name));
  const step = b.input(STEP_INPUT, 'float32', []);
  const grads = gradients(b, loss, paramValues);
  const { updates, lr, gradNorm } = adamw(
    b,
    params.map((p, i) => ({ param: paramValues[i], grad: grads[i], decay: p.decay })),
    step,
    opts,
  );

  // An output is named by its key unless another value already has that name.
  const out = (key: string, v: Value) => b.output(v.name === key || !b.has(key) ? key : `output.${key}`, v).name;
  const lossOutput = out('loss', loss);
  const lrOutput = out('optimizer.lr', lr);
  const gradNormOutput = gradNorm ? out('optimizer.grad_norm', gradNorm) : undefined;
  const extras: Record<string, string> = {};
  for (const [key, v] of Object.entries(extraOutputs)) extras[key] = out(key, v);

  const state: { input: string; output: string }[] = [];
  params.forEach((p, i) => {
    const u = updates[i];
    for (const [input, value] of [
      [p.name, u.param],
      [u.mInput.name, u.m],
      [u.vInput.name, u.v],
    ] as const) {
      const output = updatedName(input);
      b.output(output, value);
      state.push({ input, output });
    }
  });

  return { graph: b.build(), params, stepInput: STEP_INPUT, state, lossOutput, extraOutputs: extras, lrOutput, gradNormOutput };
}

/** Zero AdamW moments for every parameter, keyed by their graph input names. */
export function initialState(params: readonly ParamSpec[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const p of params) {
    const names = adamStateNames(p.name);
    out[names.m] = tensor('float32', p.shape);
    out[names.v] = tensor('float32', p.shape);
  }
  return out;
}

/** The step input's feed for update `step` (1-based). */
export function stepFeed(step: number): Tensor {
  return tensor('float32', [], [step]);
}

/**
 * Parameter values: `existing` ones where given (a checkpoint; the shape must match the spec), else a fresh
 * initialisation by spec (normal: `rng.normal() * std`, drawn in declaration order for the parameters not in
 * `existing`; zeros; ones).
 */
export function initParams(params: readonly ParamSpec[], rng: { normal(): number }, existing?: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const p of params) {
    const have = existing?.get(p.name);
    if (have) {
      if (have.dtype !== 'float32') throw new GraphError(`initParams: parameter "${p.name}" is ${have.dtype} in the checkpoint, expected float32`);
      if (have.shape.length !== p.shape.length || have.shape.some((d, i) => d !== p.shape[i]))
        throw new GraphError(`initParams: parameter "${p.name}" has shape [${have.shape.join(', ')}] in the checkpoint but the model expects [${p.shape.join(', ')}]`);
      out.set(p.name, have);
      continue;
    }
    const data = new Float32Array(sizeOf(p.shape));
    switch (p.init.kind) {
      case 'normal': {
        const std = p.init.std;
        for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
        break;
      }
      case 'zeros':
        break;
      case 'ones':
        data.fill(1);
        break;
    }
    out.set(p.name, tensor('float32', p.shape, data));
  }
  return out;
}
