import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor } from './ir';
import { SafetensorsError, readSafetensors, readSafetensorsFile, writeSafetensors, writeSafetensorsFile } from './safetensors';

/** Builds a safetensors file by hand: header JSON (unpadded) + raw data bytes. */
function handMade(header: unknown, data: number[], headerLenOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLenOverride ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function headerOf(bytes: Uint8Array): { len: number; json: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> } {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { len, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) };
}

describe('safetensors', () => {
  it('round-trips every writable dtype with metadata', () => {
    const tensors = new Map([
      ['bert.embeddings.word_embeddings.weight', tensor('float32', [3, 2], [0.5, -1, 2.25, 1e-30, -3e38, 7])],
      ['ids', tensor('int32', [4], [1, -2, 2147483647, -2147483648])],
      ['big', tensor('int64', [2], new BigInt64Array([9007199254740993n, -5n]))],
      ['mask', tensor('bool', [3], [1, 0, 1])],
      ['scalar', tensor('float32', [], [3.5])],
      ['empty', tensor('float32', [0, 4])],
    ]);
    const bytes = writeSafetensors(tensors, { format: 'pt', step: '12' });
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt', step: '12' });
    expect([...back.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const r = back.tensors.get(name);
      expect(r?.dtype, name).toBe(t.dtype);
      expect(r?.shape, name).toEqual(t.shape);
      expect(r?.data, name).toEqual(t.data);
      expect(r?.data.constructor, name).toBe(t.data.constructor);
    }
  });

  it('accepts a plain record and writes keys sorted, data aligned and laid out without holes', () => {
    const bytes = writeSafetensors({
      z: tensor('bool', [3], [1, 1, 0]),
      a: tensor('float32', [1], [1]),
      m: tensor('int64', [1], [7]),
      b: tensor('int32', [3], [1, 2, 3]),
    });
    const { len, json } = headerOf(bytes);
    expect((8 + len) % 8).toBe(0);
    // padding is spaces
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + len));
    expect(text.trimEnd()).toBe(JSON.stringify(json));
    expect(text.slice(JSON.stringify(json).length)).toMatch(/^ *$/);
    expect(Object.keys(json)).toEqual(['a', 'b', 'm', 'z']);
    // int64 first (8-byte), then the 4-byte ones by name, then bool
    expect(json.m.data_offsets).toEqual([0, 8]);
    expect(json.a.data_offsets).toEqual([8, 12]);
    expect(json.b.data_offsets).toEqual([12, 24]);
    expect(json.z.data_offsets).toEqual([24, 27]);
    expect(bytes.length).toBe(8 + len + 27);
    for (const e of Object.values(json)) {
      const size = { I64: 8, F32: 4, I32: 4, BOOL: 1 }[e.dtype] as number;
      expect((8 + len + e.data_offsets[0]) % size).toBe(0);
    }
  });

  it('reads a hand-made buffer (F32, I64, F16, BF16, metadata) with an unpadded header', () => {
    const f32 = new Uint8Array(new Float32Array([1, -2]).buffer);
    const i64 = new Uint8Array(new BigInt64Array([-1n]).buffer);
    // F16: 1.0 = 0x3c00, -2 = 0xc000, 65504 = 0x7bff, smallest subnormal = 0x0001; little-endian
    const f16 = [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00];
    // BF16: 1.0 = 0x3f80, 3.140625 = 0x4049
    const bf16 = [0x80, 0x3f, 0x49, 0x40];
    const bytes = handMade(
      {
        __metadata__: { format: 'pt' },
        w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        n: { dtype: 'I64', shape: [1, 1], data_offsets: [8, 16] },
        h: { dtype: 'F16', shape: [2, 2], data_offsets: [16, 24] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [24, 28] },
      },
      [...f32, ...i64, ...f16, ...bf16],
    );
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.get('w')).toEqual({ dtype: 'float32', shape: [2], data: new Float32Array([1, -2]) });
    expect(tensors.get('n')).toEqual({ dtype: 'int64', shape: [1, 1], data: new BigInt64Array([-1n]) });
    expect(tensors.get('h')?.dtype).toBe('float32');
    expect(Array.from(tensors.get('h')?.data as Float32Array)).toEqual([1, -2, 65504, Math.fround(2 ** -24)]);
    expect(Array.from(tensors.get('b')?.data as Float32Array)).toEqual([1, 3.140625]);
  });

  it('copies by default and makes views with copy: false', () => {
    const bytes = writeSafetensors({ w: tensor('float32', [2], [1, 2]) });
    const copied = readSafetensors(bytes).tensors.get('w')?.data as Float32Array;
    const viewed = readSafetensors(bytes, { copy: false }).tensors.get('w')?.data as Float32Array;
    expect(copied.buffer).not.toBe(bytes.buffer);
    expect(viewed.buffer).toBe(bytes.buffer);
    // an unaligned source is copied even with copy: false
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const unaligned = readSafetensors(shifted.subarray(1), { copy: false }).tensors.get('w')?.data as Float32Array;
    expect(Array.from(unaligned)).toEqual([1, 2]);
  });

  it('reports errors with the tensor and the problem', () => {
    const good = writeSafetensors({ w: tensor('float32', [4], [1, 2, 3, 4]) });
    expect(() => readSafetensors(good.subarray(0, 5))).toThrow(/shorter than the 8-byte header/);
    expect(() => readSafetensors(good.subarray(0, 20))).toThrow(/truncated file: header says/);
    expect(() => readSafetensors(good.subarray(0, good.length - 4))).toThrow(/truncated file: tensor "w" ends at data byte 16 but the data section has 12 bytes/);
    expect(() =>
      readSafetensors(
        handMade(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          new Array(12).fill(0),
        ),
      ),
    ).toThrow(/tensors "a" \[0, 8\) and "b" \[4, 12\) have overlapping data_offsets/);
    expect(() => readSafetensors(handMade({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Array(8).fill(0)))).toThrow(
      /tensor "a": data_offsets \[0, 8\] hold 8 bytes but F32 \[3\] needs 12/,
    );
    expect(() => readSafetensors(handMade({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Array(8).fill(0)))).toThrow(
      /tensor "a": unsupported dtype "C64"/,
    );
    expect(() => readSafetensors(handMade({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, [0, 0, 0, 0]))).toThrow(/tensor "a": shape \[-1\]/);
    expect(() => readSafetensors(handMade({ a: 1 }, [], 3))).toThrow(/not valid JSON/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(() => readSafetensors(huge)).toThrow(/over the 100000000-byte limit/);
    expect(() => readSafetensors(handMade({ __metadata__: { a: 1 } }, []))).toThrow(/__metadata__\["a"\] is not a string/);
    // SafetensorsError is the class thrown
    expect(() => readSafetensors(good.subarray(0, 5))).toThrow(SafetensorsError);
  });

  it('refuses to write inconsistent tensors', () => {
    expect(() => writeSafetensors({ w: { dtype: 'float32', shape: [3], data: new Float32Array(2) } })).toThrow(/tensor "w": 2 elements for shape \[3\]/);
    expect(() => writeSafetensors({ w: { dtype: 'int64', shape: [2], data: new Int32Array(2) } })).toThrow(/tensor "w": data is not a int64 typed array/);
    expect(() => writeSafetensors({ __metadata__: tensor('float32', [1]) })).toThrow(/invalid tensor name/);
  });

  describe('files', () => {
    let dir = '';
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });
    it('writes atomically and reads back', async () => {
      dir = await mkdtemp(join(tmpdir(), 'ssbench-st-'));
      const path = join(dir, 'model.safetensors');
      await writeSafetensorsFile(path, { a: tensor('float32', [2, 2], [1, 2, 3, 4]) }, { note: 'x' });
      await writeSafetensorsFile(path, { a: tensor('float32', [2], [5, 6]), b: tensor('bool', [1], [1]) });
      expect(await readdir(dir)).toEqual(['model.safetensors']); // no temp file left, old content replaced
      const back = await readSafetensorsFile(path);
      expect(back.metadata).toEqual({});
      expect(Array.from(back.tensors.get('a')?.data as Float32Array)).toEqual([5, 6]);
      expect(back.tensors.get('b')?.dtype).toBe('bool');
      await expect(readSafetensorsFile(join(dir, 'missing.safetensors'))).rejects.toThrow(/ENOENT/);
    });
  });
});
