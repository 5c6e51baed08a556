import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addCheckpointTensor, checkTensorsToSave, checkpointError, configValues, readCheckpointJson, readCheckpointTensors, readCheckpointText, sameShape, tensorMap } from './checkpoint';
import { type Tensor, tensor } from './ir';
import { writeSafetensors } from './safetensors';

const dir = mkdtempSync(join(tmpdir(), 'ssbench-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('sameShape and checkpointError', () => {
  it('compare shapes by rank and every dim', () => {
    expect(sameShape([2, 3], [2, 3])).toBe(true);
    expect(sameShape([2, 3], [3, 2])).toBe(false);
    expect(sameShape([6], [6, 1])).toBe(false);
    expect(sameShape([], [])).toBe(true);
  });

  it('puts the file first', () => {
    expect(checkpointError('/a/config.json', 'bad').message).toBe('/a/config.json: bad');
  });
});

describe('reading checkpoint files', () => {
  it('reads config.json as an object', async () => {
    expect(await readCheckpointJson(file('ok.json', '{"hidden_size": 16}'))).toEqual({ hidden_size: 16 });
    expect(await readCheckpointText(file('v.txt', 'a\nb\n'))).toBe('a\nb\n');
  });

  it('names the file and the reason when it cannot', async () => {
    const missing = join(dir, 'nowhere.json');
    await expect(readCheckpointJson(missing)).rejects.toThrow(`${missing}: cannot read (ENOENT)`);
    await expect(readCheckpointText(missing)).rejects.toThrow(`${missing}: cannot read (ENOENT)`);
    const broken = file('broken.json', '{"a": ');
    await expect(readCheckpointJson(broken)).rejects.toThrow(new RegExp(`^${broken}: invalid JSON: `));
    const list = file('list.json', '[1, 2]');
    await expect(readCheckpointJson(list)).rejects.toThrow(`${list}: expected a JSON object`);
  });

  it('reads the tensors of a safetensors file, and names the file when it is not one', async () => {
    const w = tensor('float32', [2], [1.5, -2]);
    const tensors = await readCheckpointTensors(file('model.safetensors', writeSafetensors(new Map([['w', w]]))));
    expect([...tensors.keys()]).toEqual(['w']);
    expect(Array.from(tensors.get('w')?.data as Float32Array)).toEqual([1.5, -2]);
    const junk = file('junk.safetensors', new Uint8Array([1, 2, 3]));
    await expect(readCheckpointTensors(junk)).rejects.toThrow(new RegExp(`^${junk}: `));
    await expect(readCheckpointTensors(join(dir, 'none.safetensors'))).rejects.toThrow('none.safetensors: cannot read (ENOENT)');
  });
});

describe('configValues', () => {
  const { int, num } = configValues('config.json', { n: 4, eps: 1e-5, zero: 0, half: 0.5, text: 'x' });

  it('reads values, with fallbacks for absent keys', () => {
    expect(int('n')).toBe(4);
    expect(int('absent', 12)).toBe(12);
    expect(num('eps', 1)).toBe(1e-5);
    expect(num('absent', 0.1)).toBe(0.1);
  });

  it('rejects values of the wrong kind, naming the file and the key', () => {
    expect(() => int('zero')).toThrow('config.json: "zero" must be a positive integer, got 0');
    expect(() => int('half')).toThrow('"half" must be a positive integer, got 0.5');
    expect(() => int('absent')).toThrow('"absent" must be a positive integer, got undefined');
    expect(() => num('text', 1)).toThrow('config.json: "text" must be a number, got "x"');
  });
});

describe('addCheckpointTensor', () => {
  const f32 = (shape: number[]) => tensor('float32', shape);

  it('adds float32 tensors of the wanted shape under their canonical names', () => {
    const weights = new Map<string, Tensor>();
    addCheckpointTensor('m.st', weights, 'bert.x', 'x', f32([2, 3]), [2, 3]);
    addCheckpointTensor('m.st', weights, 'head', 'head', f32([5]), undefined); // no expected shape: any
    expect([...weights.keys()]).toEqual(['bert.x', 'head']);
  });

  it('rejects other dtypes, other shapes (with the hint) and a second copy', () => {
    const weights = new Map<string, Tensor>();
    expect(() => addCheckpointTensor('m.st', weights, 'a', 'a', tensor('int32', [2]), [2])).toThrow('m.st: tensor a has dtype int32, expected float32');
    expect(() => addCheckpointTensor('m.st', weights, 'a', 'a', f32([3, 2]), [2, 3], () => ' (transposed?)')).toThrow(
      'm.st: tensor a has shape [3, 2], expected [2, 3] from config.json (transposed?)',
    );
    addCheckpointTensor('m.st', weights, 'bert.a', 'a', f32([2]), [2]);
    expect(() => addCheckpointTensor('m.st', weights, 'bert.a', 'bert.a', f32([2]), [2])).toThrow('m.st: tensor bert.a appears twice (as bert.a)');
  });
});

describe('tensorMap and checkTensorsToSave', () => {
  const f32 = (shape: number[]) => tensor('float32', shape);
  const expected = new Map([
    ['w', [2, 3]],
    ['b', [2]],
  ]);

  it('accepts a map or a record, and returns the tensors in the given order', () => {
    const record = { b: f32([2]), w: f32([2, 3]), 'head.weight': f32([4, 3]) };
    const out = checkTensorsToSave('save', tensorMap(record), { expected, allowed: (n) => n === 'head.weight' });
    expect([...out.keys()]).toEqual(['b', 'w', 'head.weight']);
    const map = new Map([['w', f32([2, 3])]]);
    expect(tensorMap(map)).toBe(map);
  });

  it('reports a missing, unknown, non-float32 or misshapen tensor, prefixed by the saver', () => {
    expect(() => checkTensorsToSave('save', new Map([['w', f32([2, 3])]]), { expected })).toThrow('save: missing tensor b [2]');
    // Only the required ones must be there.
    expect(() => checkTensorsToSave('save', new Map([['w', f32([2, 3])]]), { expected, required: new Map([['w', [2, 3]]]) })).not.toThrow();
    const base = { w: f32([2, 3]), b: f32([2]) };
    expect(() => checkTensorsToSave('save', tensorMap({ ...base, extra: f32([1]) }), { expected })).toThrow('save: unexpected tensor extra');
    expect(() => checkTensorsToSave('save', tensorMap({ ...base, b: tensor('int64', [2]) }), { expected })).toThrow('save: tensor b has dtype int64, expected float32');
    expect(() => checkTensorsToSave('save', tensorMap({ ...base, w: f32([3, 2]) }), { expected })).toThrow('save: tensor w has shape [3, 2], expected [2, 3]');
  });

  it('runs the extra check on each tensor after the common ones', () => {
    const seen: string[] = [];
    checkTensorsToSave('save', tensorMap({ w: f32([2, 3]), b: f32([2]) }), { expected, check: (name) => seen.push(name) });
    expect(seen).toEqual(['w', 'b']);
    const check = (name: string, t: Tensor) => {
      if (name === 'w' && t.shape[0] !== 2) throw new Error('w is off');
    };
    // The shape error comes first: the extra check only sees tensors that passed the common checks.
    expect(() => checkTensorsToSave('save', tensorMap({ w: f32([3, 2]), b: f32([2]) }), { expected, check })).toThrow('save: tensor w has shape');
  });
});
