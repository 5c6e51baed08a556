/**
 * safetensors reading and writing (the Hugging Face weights format).
 *
 * Reference: https://github.com/huggingface/safetensors (README "Format"): an unsigned little-endian 64-bit
 * header length N, then N bytes of UTF-8 JSON `{ "__metadata__": {str: str}, name: { dtype, shape,
 * data_offsets: [begin, end] } }` with offsets relative to the end of the header, then the tensor bytes
 * (little-endian, row-major). The writer pads the header with spaces so that the data starts 8-byte aligned,
 * lays tensors out by element size (largest first) and then name, without holes, so every tensor is aligned
 * to its element size. Reading also accepts F16/BF16/F64 (as real checkpoints use them), converted to float32.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { DType, Tensor, TypedArray } from './ir';

export class SafetensorsError extends Error {}

export interface SafetensorsContents {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

export interface ReadSafetensorsOptions {
  /**
   * Copy tensor data out of `bytes` (default true). With false, tensors whose bytes are suitably aligned are
   * views into `bytes` (no copy): the caller must then not reuse `bytes`.
   */
  copy?: boolean;
}

/** The safetensors dtype that each ssbench dtype is written as. */
const WRITE_DTYPE: Record<DType, string> = { float32: 'F32', int32: 'I32', int64: 'I64', bool: 'BOOL' };

/** Readable safetensors dtypes: element size and the ssbench dtype they load as. */
const READ_DTYPE: Record<string, { size: number; dtype: DType }> = {
  F32: { size: 4, dtype: 'float32' },
  F16: { size: 2, dtype: 'float32' },
  BF16: { size: 2, dtype: 'float32' },
  F64: { size: 8, dtype: 'float32' },
  I32: { size: 4, dtype: 'int32' },
  I64: { size: 8, dtype: 'int64' },
  BOOL: { size: 1, dtype: 'bool' },
};

const ITEM_SIZE: Record<DType, number> = { float32: 4, int32: 4, int64: 8, bool: 1 };

/** The Rust reference refuses headers over 100 MB; so do we (a corrupt length would otherwise allocate it). */
const MAX_HEADER = 100_000_000;

let littleEndianCache: boolean | undefined;
/** Whether this platform stores typed arrays little-endian (all platforms Node.js runs on in practice). */
export function isLittleEndian(): boolean {
  if (littleEndianCache === undefined) littleEndianCache = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return littleEndianCache;
}

function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j];
  return out;
}

/** The little-endian bytes of a typed array: a view (no copy) on little-endian platforms. */
export function littleEndianBytes(data: TypedArray): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return isLittleEndian() || data.BYTES_PER_ELEMENT === 1 ? view : swapBytes(view, data.BYTES_PER_ELEMENT);
}

/**
 * A typed array of `dtype` from little-endian bytes. With `copy` false and aligned bytes on a little-endian
 * platform the result is a view of `bytes`; otherwise a fresh copy.
 */
export function typedArrayFromLittleEndian(dtype: DType, bytes: Uint8Array, copy = true): TypedArray {
  const size = ITEM_SIZE[dtype];
  if (bytes.byteLength % size !== 0) throw new SafetensorsError(`${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  let src = bytes;
  if (!isLittleEndian() && size > 1) src = swapBytes(bytes, size);
  else if (copy || src.byteOffset % size !== 0) src = new Uint8Array(bytes); // fresh, aligned buffer
  const n = src.byteLength / size;
  switch (dtype) {
    case 'float32':
      return new Float32Array(src.buffer, src.byteOffset, n);
    case 'int32':
      return new Int32Array(src.buffer, src.byteOffset, n);
    case 'int64':
      return new BigInt64Array(src.buffer, src.byteOffset, n);
    case 'bool':
      return new Uint8Array(src.buffer, src.byteOffset, n);
  }
}

/** IEEE 754 half precision to float32. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function convertToFloat32(stDtype: string, bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (stDtype) {
    case 'F16': {
      const out = new Float32Array(bytes.byteLength / 2);
      for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const bits = new Uint32Array(bytes.byteLength / 2);
      for (let i = 0; i < bits.length; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return new Float32Array(bits.buffer);
    }
    case 'F64': {
      const out = new Float32Array(bytes.byteLength / 8);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    default:
      throw new SafetensorsError(`no float32 conversion from ${stDtype}`);
  }
}

/** Parses a safetensors byte buffer. Errors name the tensor and the problem. */
export function readSafetensors(bytes: Uint8Array, options: ReadSafetensorsOptions = {}): SafetensorsContents {
  const copy = options.copy ?? true;
  if (bytes.byteLength < 8) throw new SafetensorsError(`safetensors: file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = dv.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER)) throw new SafetensorsError(`safetensors: header length ${headerLen} is over the ${MAX_HEADER}-byte limit (not a safetensors file?)`);
  const n = Number(headerLen);
  if (8 + n > bytes.byteLength)
    throw new SafetensorsError(`safetensors: truncated file: header says ${n} bytes of JSON but only ${bytes.byteLength - 8} bytes follow`);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`safetensors: header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError('safetensors: header is not a JSON object');
  const data = bytes.subarray(8 + n);
  const metadata: Record<string, string> = {};
  const entries: { name: string; stDtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SafetensorsError('safetensors: __metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new SafetensorsError(`safetensors: __metadata__["${k}"] is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null) throw new SafetensorsError(`safetensors: tensor "${name}": entry is not an object`);
    if (typeof info.dtype !== 'string' || !(info.dtype in READ_DTYPE))
      throw new SafetensorsError(`safetensors: tensor "${name}": unsupported dtype ${JSON.stringify(info.dtype)} (supported: ${Object.keys(READ_DTYPE).join(', ')})`);
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new SafetensorsError(`safetensors: tensor "${name}": shape ${JSON.stringify(info.shape)} is not a list of non-negative integers`);
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[1] < off[0])
      throw new SafetensorsError(`safetensors: tensor "${name}": data_offsets ${JSON.stringify(off)} is not [begin, end] with 0 <= begin <= end`);
    const shape = info.shape as number[];
    const expected = shape.reduce((s, d) => s * d, 1) * READ_DTYPE[info.dtype].size;
    if (off[1] - off[0] !== expected)
      throw new SafetensorsError(
        `safetensors: tensor "${name}": data_offsets [${off[0]}, ${off[1]}] hold ${off[1] - off[0]} bytes but ${info.dtype} [${shape.join(', ')}] needs ${expected}`,
      );
    if (off[1] > data.byteLength)
      throw new SafetensorsError(`safetensors: truncated file: tensor "${name}" ends at data byte ${off[1]} but the data section has ${data.byteLength} bytes`);
    entries.push({ name, stDtype: info.dtype, shape, begin: off[0], end: off[1] });
  }
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1];
    const cur = byOffset[i];
    if (cur.begin < prev.end)
      throw new SafetensorsError(`safetensors: tensors "${prev.name}" [${prev.begin}, ${prev.end}) and "${cur.name}" [${cur.begin}, ${cur.end}) have overlapping data_offsets`);
  }
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const spec = READ_DTYPE[e.stDtype];
    const raw = data.subarray(e.begin, e.end);
    const arr =
      e.stDtype === 'F16' || e.stDtype === 'BF16' || e.stDtype === 'F64' ? convertToFloat32(e.stDtype, raw) : typedArrayFromLittleEndian(spec.dtype, raw, copy);
    tensors.set(e.name, { dtype: spec.dtype, shape: e.shape, data: arr });
  }
  return { tensors, metadata };
}

function entriesOf(tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>): [string, Tensor][] {
  return tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, Tensor>);
}

/** Serialises tensors (and string metadata) to safetensors bytes. */
export function writeSafetensors(tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const list = entriesOf(tensors);
  for (const [name, t] of list) {
    if (name === '' || name === '__metadata__') throw new SafetensorsError(`safetensors: invalid tensor name ${JSON.stringify(name)}`);
    if (!(t.dtype in WRITE_DTYPE)) throw new SafetensorsError(`safetensors: tensor "${name}": cannot write dtype ${t.dtype}`);
    const size = t.shape.reduce((s, d) => s * d, 1);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new SafetensorsError(`safetensors: tensor "${name}": shape [${t.shape.join(', ')}] is not a list of non-negative integers`);
    if (t.data.length !== size)
      throw new SafetensorsError(`safetensors: tensor "${name}": ${t.data.length} elements for shape [${t.shape.join(', ')}] (${size})`);
    if (t.data.BYTES_PER_ELEMENT !== ITEM_SIZE[t.dtype]) throw new SafetensorsError(`safetensors: tensor "${name}": data is not a ${t.dtype} typed array`);
  }
  if (metadata) for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new SafetensorsError(`safetensors: metadata["${k}"] is not a string`);
  // Data layout: largest element size first, then by name, without holes: every tensor starts aligned.
  const layout = [...list].sort((a, b) => ITEM_SIZE[b[1].dtype] - ITEM_SIZE[a[1].dtype] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const offsets = new Map<string, [number, number]>();
  let pos = 0;
  for (const [name, t] of layout) {
    const len = t.data.length * ITEM_SIZE[t.dtype];
    offsets.set(name, [pos, pos + len]);
    pos += len;
  }
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    const sortedMeta: Record<string, string> = {};
    for (const k of Object.keys(metadata).sort()) sortedMeta[k] = metadata[k];
    header.__metadata__ = sortedMeta;
  }
  for (const [name, t] of [...list].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)))
    header[name] = { dtype: WRITE_DTYPE[t.dtype], shape: [...t.shape], data_offsets: offsets.get(name) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8; // 8 + headerLen is a multiple of 8
  const out = new Uint8Array(8 + headerLen + pos);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  const base = 8 + headerLen;
  for (const [name, t] of layout) out.set(littleEndianBytes(t.data), base + (offsets.get(name) as [number, number])[0]);
  return out;
}

/** Reads a .safetensors file (tensors are views into the file's buffer where aligned: no second copy). */
export async function readSafetensorsFile(path: string): Promise<SafetensorsContents> {
  const buf = await readFile(path);
  try {
    return readSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), { copy: false });
  } catch (e) {
    if (e instanceof SafetensorsError) throw new SafetensorsError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Writes a .safetensors file atomically (a temporary file in the same folder, then a rename). */
export async function writeSafetensorsFile(
  path: string,
  tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const bytes = writeSafetensors(tensors, metadata);
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
