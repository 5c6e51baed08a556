/**
 * Graph-building helpers the model plugins share: parameters declared once (a second call, from another head or
 * another pass over the same builder, gets the same value back), and the reshapes between token rows [N, d] and
 * batched values [..., d] that keep symbolic leading dims symbolic.
 */
import { type GraphBuilder, GraphError, type ParamInit, type Value } from './builder';
import type { Dim } from './ir';

/** The first dims of a value: their static labels, and a run-time int64 vector of them when any is symbolic. */
export interface LeadingDims {
  readonly dims: Dim[];
  readonly vector: Value | null;
}

/** The first `n` dims of x (e.g. [batch, seq] of token ids), to give token rows their leading dims back. */
export function leadingDims(b: GraphBuilder, x: Value, n: number): LeadingDims {
  const dims = x.shape.slice(0, n);
  if (dims.every((d) => typeof d === 'number')) return { dims, vector: null };
  const shape = b.shapeOf(x); // [rank] int64
  return { dims, vector: n === x.shape.length ? shape : b.slice(shape, [0], [n], [0]) }; // [n] int64
}

/** Rows [N, ...] -> [...lead, ...trailing], where N = prod(lead). */
export function unflatten(b: GraphBuilder, rows: Value, lead: LeadingDims, trailing: readonly number[]): Value {
  if (!lead.vector) return b.reshape(rows, [...(lead.dims as number[]), ...trailing]);
  const shape = b.concat([lead.vector, b.int64s(trailing)], 0); // [lead rank + trailing rank] int64
  return b.reshapeTo(rows, shape, [...lead.dims, ...trailing]);
}

/** Applies `f` to x [..., d] viewed as rows [N, d] and gives the result x's leading dims: [..., d']. */
export function rowwise(b: GraphBuilder, x: Value, f: (rows: Value) => Value): Value {
  if (x.shape.length === 2) return f(x);
  const rows = f(b.reshape(x, [-1, x.shape[x.shape.length - 1] as number])); // [..., d] -> [N, d] -> [N, d']
  return unflatten(b, rows, leadingDims(b, x, x.shape.length - 1), [rows.shape[1] as number]);
}

export interface ParamOnceOptions {
  /** Weight decay for a new parameter (default: GraphBuilder.param's, by name). */
  decay?: boolean;
  /** Reports a parameter already declared with another shape (default: throws a GraphError). */
  fail?: (message: string) => never;
}

/**
 * Declares a parameter, or returns it when an earlier call (forward, another head) already declared it; an
 * earlier declaration with another shape is an error.
 */
export function paramOnce(b: GraphBuilder, name: string, shape: readonly number[], init: ParamInit, options: ParamOnceOptions = {}): Value {
  if (!b.has(name)) return b.param(name, shape, init, options.decay);
  const v = b.value(name);
  if (v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
    const message = `parameter ${name} is already declared with shape [${v.shape.join(', ')}], not [${shape.join(', ')}]`;
    if (options.fail) options.fail(message);
    throw new GraphError(message);
  }
  return v;
}
