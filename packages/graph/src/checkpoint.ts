/**
 * The parts of reading and writing Hugging Face checkpoint directories (`config.json` + `model.safetensors`) that
 * the model plugins share: errors that start with the file they are about, reading config.json and the weights,
 * typed config.json values, and the dtype and shape checks on the tensors read or about to be written.
 */
import { readFile } from 'node:fs/promises';
import type { Tensor } from './ir';
import { readSafetensors } from './safetensors';

/** Whether two static shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** An error about a checkpoint file: `<file>: <message>`. */
export function checkpointError(file: string, message: string): Error {
  return new Error(`${file}: ${message}`);
}

const readError = (file: string, e: unknown) => checkpointError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);

/** Reads a UTF-8 text file of a checkpoint; a file that cannot be read is an error naming it. */
export async function readCheckpointText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw readError(file, e);
  }
}

/** Reads a JSON file that must hold an object (config.json). */
export async function readCheckpointJson(file: string): Promise<Record<string, unknown>> {
  const raw = await readCheckpointText(file);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw checkpointError(file, `invalid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw checkpointError(file, 'expected a JSON object');
  return value as Record<string, unknown>;
}

/** Reads the tensors of a safetensors file; errors name the file. */
export async function readCheckpointTensors(file: string): Promise<Map<string, Tensor>> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw readError(file, e);
  }
  try {
    return readSafetensors(bytes).tensors;
  } catch (e) {
    throw checkpointError(file, (e as Error).message);
  }
}

export interface ConfigValues {
  /** A positive integer under `key` (or `fallback` when the key is absent). */
  int(key: string, fallback?: number): number;
  /** A finite number under `key` (or `fallback` when the key is absent). */
  num(key: string, fallback: number): number;
}

/** Typed readers of config.json values; a bad value is an error naming the file and the key. */
export function configValues(file: string, cfg: Readonly<Record<string, unknown>>): ConfigValues {
  return {
    int(key, fallback) {
      const v = cfg[key] ?? fallback;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw checkpointError(file, `"${key}" must be a positive integer, got ${JSON.stringify(cfg[key])}`);
      return v;
    },
    num(key, fallback) {
      const v = cfg[key] ?? fallback;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw checkpointError(file, `"${key}" must be a number, got ${JSON.stringify(cfg[key])}`);
      return v;
    },
  };
}

/**
 * Adds a tensor read from `file` to `weights` under its canonical name `name` (`stored` is its name in the file):
 * it must be float32, of shape `want` when that is given, and not already there. `hint` adds to a shape error.
 */
export function addCheckpointTensor(
  file: string,
  weights: Map<string, Tensor>,
  name: string,
  stored: string,
  t: Tensor,
  want: readonly number[] | undefined,
  hint: () => string = () => '',
): void {
  if (t.dtype !== 'float32') throw checkpointError(file, `tensor ${stored} has dtype ${t.dtype}, expected float32`);
  if (want !== undefined && !sameShape(t.shape, want))
    throw checkpointError(file, `tensor ${stored} has shape [${t.shape.join(', ')}], expected [${want.join(', ')}] from config.json${hint()}`);
  if (weights.has(name)) throw checkpointError(file, `tensor ${name} appears twice (as ${stored})`);
  weights.set(name, t);
}

/** Weights given as a map or a record, as a map. */
export function tensorMap(weights: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>): ReadonlyMap<string, Tensor> {
  return weights instanceof Map ? (weights as ReadonlyMap<string, Tensor>) : new Map(Object.entries(weights as Record<string, Tensor>));
}

export interface TensorsToSave {
  /** The tensors that must be there, with their shapes (default: all of `expected`). */
  required?: ReadonlyMap<string, readonly number[]>;
  /** Every known tensor and its shape. */
  expected: ReadonlyMap<string, readonly number[]>;
  /** Tensors outside `expected` that may be written too (any shape), e.g. a classifier head. */
  allowed?: (name: string) => boolean;
  /** Further checks of each tensor, after the common ones (throws). */
  check?: (name: string, t: Tensor) => void;
}

/**
 * Checks the tensors a plugin is about to write: each required one present, none unknown (unless allowed), every
 * one float32 and of its expected shape. Errors start with `who` (the saving function). Returns them as a map, in
 * the given order.
 */
export function checkTensorsToSave(who: string, weights: ReadonlyMap<string, Tensor>, spec: TensorsToSave): Map<string, Tensor> {
  for (const [name, shape] of spec.required ?? spec.expected) if (!weights.has(name)) throw new Error(`${who}: missing tensor ${name} [${shape.join(', ')}]`);
  const out = new Map<string, Tensor>();
  for (const [name, t] of weights) {
    const want = spec.expected.get(name);
    if (want === undefined && !spec.allowed?.(name)) throw new Error(`${who}: unexpected tensor ${name}`);
    if (t.dtype !== 'float32') throw new Error(`${who}: tensor ${name} has dtype ${t.dtype}, expected float32`);
    if (want && !sameShape(t.shape, want)) throw new Error(`${who}: tensor ${name} has shape [${t.shape.join(', ')}], expected [${want.join(', ')}]`);
    spec.check?.(name, t);
    out.set(name, t);
  }
  return out;
}
