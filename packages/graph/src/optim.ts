/**
 * AdamW with a warm-up/decay learning-rate schedule and global-norm gradient clipping, as IR nodes.
 *
 * References:
 * - Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015 (Algorithm 1, bias-corrected moments).
 * - Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019 (AdamW: the decay is applied to
 *   the weights, p <- p - lr * wd * p, not added to the gradient).
 * - PyTorch `torch.optim.AdamW` (the update below is its math exactly) and `torch.nn.utils.clip_grad_norm_`
 *   (coefficient min(1, max_norm / (norm + 1e-6))); BERT clips the global norm at 1.0 (google-research/bert
 *   optimization.py).
 * - Hugging Face `get_linear_schedule_with_warmup` / `get_constant_schedule_with_warmup` for the schedule shape.
 *
 * Step s is 1-based (the first update has s = 1):
 *   lr(s) = lr * s / W                         for s <= W (warm-up; W = warmupSteps)
 *         = lr * max(0, (T - s) / (T - W))      for s > W  (linear decay to 0 at T = totalSteps)
 *         = lr                                  for s > W  (constant schedule)
 * (Hugging Face evaluates its lambda at the 0-based step, i.e. one step earlier.)
 *
 * Per parameter, with clip coefficient c (1 without clipping) and g the raw gradient:
 *   m <- b1 m + (1 - b1) c g;   v <- b2 v + (1 - b2) c^2 g^2
 *   p <- p (1 - lr(s) wd) - lr(s) / (1 - b1^s) * m / (sqrt(v) / sqrt(1 - b2^s) + eps)
 * computed as p (1 - lr wd) - [lr sqrt(1 - b2^s) / (1 - b1^s)] * m / (sqrt(v) + [eps sqrt(1 - b2^s)]) so that the
 * bracketed step-dependent factors are scalars computed once, and g^2 is shared by v and the gradient norm.
 * Per parameter that is 13 elementwise nodes (plus one ReduceSum when clipping).
 */
import { type GraphBuilder, GraphError, type Value } from './builder';

export interface OptimizerOptions {
  /** Peak learning rate. */
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  schedule: 'linear' | 'constant';
  /** Clip the global gradient norm to this value (BERT: 1.0); no clipping when absent. */
  clipNorm?: number;
}

function checkOptions(opts: OptimizerOptions): void {
  const bad = (what: string) => new GraphError(`optimizer: ${what}`);
  if (!(opts.lr >= 0)) throw bad(`lr must be >= 0, got ${opts.lr}`);
  if (!(opts.warmupSteps >= 0)) throw bad(`warmupSteps must be >= 0, got ${opts.warmupSteps}`);
  if (opts.schedule === 'linear' && !(opts.totalSteps > opts.warmupSteps))
    throw bad(`totalSteps (${opts.totalSteps}) must exceed warmupSteps (${opts.warmupSteps}) for the linear schedule`);
  if (!(opts.beta1 >= 0 && opts.beta1 < 1) || !(opts.beta2 >= 0 && opts.beta2 < 1)) throw bad(`betas must be in [0, 1), got ${opts.beta1}, ${opts.beta2}`);
  if (!(opts.eps > 0)) throw bad(`eps must be > 0, got ${opts.eps}`);
  if (opts.clipNorm !== undefined && !(opts.clipNorm > 0)) throw bad(`clipNorm must be > 0, got ${opts.clipNorm}`);
}

/** The learning rate used by update `step` (1-based), in JS: the same formula as `learningRate` builds. */
export function learningRateAt(step: number, opts: OptimizerOptions): number {
  const w = opts.warmupSteps;
  const warm = w > 0 ? step * (opts.lr / w) : Number.POSITIVE_INFINITY;
  const rest = opts.schedule === 'constant' ? opts.lr : Math.max((opts.totalSteps - step) * (opts.lr / (opts.totalSteps - w)), 0);
  return Math.min(warm, rest);
}

/** The learning rate for the 1-based float32 scalar `step`, as graph nodes ([] float32). */
export function learningRate(b: GraphBuilder, step: Value, opts: OptimizerOptions): Value {
  checkOptions(opts);
  const w = opts.warmupSteps;
  const rest = opts.schedule === 'constant' ? b.scalar(opts.lr) : b.max(b.mul(b.sub(opts.totalSteps, step), opts.lr / (opts.totalSteps - w)), 0);
  return w > 0 ? b.min(b.mul(step, opts.lr / w), rest) : rest;
}

/**
 * 1 - beta^step ([] float32) without the cancellation of computing beta^step in float32 first (1 - 0.999^1 would
 * be off by ~3e-5 relative): with t = step ln(beta) and u = exp(t), 1 - beta^step = -expm1(t) = (1 - u) t / ln(u)
 * (Kahan's expm1 trick: the rounding error of u cancels between numerator and denominator).
 */
function oneMinusPow(b: GraphBuilder, beta: number, step: Value): Value {
  if (beta === 0) return b.scalar(1);
  const t = b.mul(step, Math.log(beta)); // []
  const u = b.exp(t);
  // The trick is needed only while u is near 1; once beta^step is small, 1 - u has no cancellation, and the
  // trick would divide by ln(0) = -inf when u underflows (beta1 = 0.9 after ~900 steps in float32).
  const kahan = b.div(b.mul(b.sub(1, u), t), b.log(b.max(u, 1e-30)));
  return b.where(b.greater(u, 0.5), kahan, b.sub(1, u));
}

/** One parameter handed to `adamw`. */
export interface AdamWEntry {
  readonly param: Value;
  readonly grad: Value;
  /** Apply weight decay (false for biases and LayerNorm weights). */
  readonly decay: boolean;
}

export interface AdamWUpdate {
  /** The parameter after the update. */
  readonly param: Value;
  /** First- and second-moment inputs (`optimizer.m.<param>`, `optimizer.v.<param>`) and their updated values. */
  readonly mInput: Value;
  readonly vInput: Value;
  readonly m: Value;
  readonly v: Value;
}

export interface AdamWResult {
  readonly updates: AdamWUpdate[];
  /** The learning rate of this step ([] float32). */
  readonly lr: Value;
  /** The global gradient norm before clipping ([] float32), when clipping. */
  readonly gradNorm?: Value;
}

/** Graph input names of the optimizer state of a parameter. */
export function adamStateNames(param: string): { m: string; v: string } {
  return { m: `optimizer.m.${param}`, v: `optimizer.v.${param}` };
}

/**
 * Appends one AdamW step for every entry. Declares the moment inputs `optimizer.m.<param>` and
 * `optimizer.v.<param>` (zero-initialised by the caller, fed back every step). `step` is the 1-based float32
 * scalar step input.
 */
export function adamw(b: GraphBuilder, entries: readonly AdamWEntry[], step: Value, opts: OptimizerOptions): AdamWResult {
  checkOptions(opts);
  return b.scope('adamw', () => {
    const lr = learningRate(b, step, opts); // []
    const sqs = entries.map((e) => b.mul(e.grad, e.grad)); // g^2, shared by v and the norm

    // Global-norm clipping: c = min(1, clip / (||g|| + 1e-6)), folded into the moment coefficients.
    let gradNorm: Value | undefined;
    let s1 = b.scalar(1 - opts.beta1);
    let s2 = b.scalar(1 - opts.beta2);
    if (opts.clipNorm !== undefined && entries.length > 0) {
      let total: Value | undefined;
      for (const sq of sqs) {
        const rank = sq.shape.length;
        const part = rank === 0 ? sq : b.reduceSum(sq, Array.from({ length: rank }, (_, i) => i), false); // []
        total = total ? b.add(total, part) : part;
      }
      gradNorm = b.sqrt(total as Value);
      const c = b.min(b.div(opts.clipNorm, b.add(gradNorm, 1e-6)), 1); // []
      s1 = b.mul(c, s1);
      s2 = b.mul(b.mul(c, c), s2);
    }

    // Step-dependent scalars: 1 - b1^s, sqrt(1 - b2^s).
    const bc1 = oneMinusPow(b, opts.beta1, step);
    const rbc2 = b.sqrt(oneMinusPow(b, opts.beta2, step));
    const stepSize = b.div(b.mul(lr, rbc2), bc1); // lr sqrt(bc2) / bc1
    const epsHat = b.mul(rbc2, opts.eps);
    const anyDecay = opts.weightDecay !== 0 && entries.some((e) => e.decay);
    const keep = anyDecay ? b.sub(1, b.mul(lr, opts.weightDecay)) : undefined; // 1 - lr wd

    const beta1 = b.scalar(opts.beta1);
    const beta2 = b.scalar(opts.beta2);
    const updates = entries.map((e, i): AdamWUpdate => {
      const names = adamStateNames(e.param.name);
      if (e.grad.dtype !== 'float32') throw new GraphError(`adamw: gradient of "${e.param.name}" is ${e.grad.dtype}`);
      const mInput = b.input(names.m, 'float32', e.param.shape);
      const vInput = b.input(names.v, 'float32', e.param.shape);
      const m = b.add(b.mul(mInput, beta1), b.mul(e.grad, s1)); // [param]
      const v = b.add(b.mul(vInput, beta2), b.mul(sqs[i], s2)); // [param]
      const upd = b.mul(b.div(m, b.add(b.sqrt(v), epsHat)), stepSize); // [param]
      const kept = e.decay && keep ? b.mul(e.param, keep) : e.param;
      return { param: b.sub(kept, upd), mInput, vInput, m, v };
    });
    return { updates, lr, gradNorm };
  });
}
