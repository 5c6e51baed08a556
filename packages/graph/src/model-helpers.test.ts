import { describe, expect, it } from 'vitest';
import { GraphBuilder, GraphError } from './builder';
import { interpret } from './interpret';
import { tensor } from './ir';
import { leadingDims, paramOnce, rowwise, unflatten } from './model-helpers';

describe('leadingDims and unflatten', () => {
  it('keeps static leading dims static (no shape nodes)', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3, 4]);
    const lead = leadingDims(b, x, 2);
    expect(lead).toEqual({ dims: [2, 3], vector: null });
    const rows = b.reshape(x, [6, 4]); // [2, 3, 4] -> [6, 4]
    expect(b.output('y', unflatten(b, rows, lead, [2, 2])).shape).toEqual([2, 3, 2, 2]);
    expect(b.build().nodes.map((n) => n.op)).not.toContain('Shape');
  });

  it('takes symbolic leading dims from the value at run time', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['batch', 'seq', 4]);
    const lead = leadingDims(b, x, 2);
    expect(lead.dims).toEqual(['batch', 'seq']);
    expect(lead.vector?.shape).toEqual([2]); // [2] int64: batch, seq
    const rows = b.reshape(x, [-1, 4]); // [batch*seq, 4]
    const y = b.output('y', unflatten(b, rows, lead, [4]));
    expect(y.shape).toEqual(['batch', 'seq', 4]);
    const data = Float32Array.from({ length: 24 }, (_, i) => i);
    const r = interpret(b.build(), { x: tensor('float32', [3, 2, 4], data) });
    expect(r.y.shape).toEqual([3, 2, 4]);
    expect(Array.from(r.y.data as Float32Array)).toEqual(Array.from(data));
  });
});

describe('rowwise', () => {
  it('applies a row function to [..., d] and restores the leading dims', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['batch', 2, 3]);
    const w = paramOnce(b, 'w', [3, 1], { kind: 'zeros' });
    const y = b.output(
      'y',
      rowwise(b, x, (rows) => b.gemm(rows, w, null)), // [N, 3] @ [3, 1] -> [N, 1]
    );
    expect(y.shape).toEqual(['batch', 2, 1]);
    // x[0] = [[1, 2, 3], [4, 5, 6]], w = [1, 10, 100]^T: rows . w = 321 and 654.
    const r = interpret(b.build(), { x: tensor('float32', [1, 2, 3], [1, 2, 3, 4, 5, 6]), w: tensor('float32', [3, 1], [1, 10, 100]) });
    expect(r.y.shape).toEqual([1, 2, 1]);
    expect(Array.from(r.y.data as Float32Array)).toEqual([321, 654]);
  });

  it('passes 2-D values straight to the function', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3]);
    let seen: unknown;
    const y = rowwise(b, x, (rows) => {
      seen = rows;
      return b.neg(rows);
    });
    expect(seen).toBe(x);
    expect(y.shape).toEqual([2, 3]);
  });
});

describe('paramOnce', () => {
  it('declares a parameter once and returns the same value afterwards', () => {
    const b = new GraphBuilder('g');
    const a = paramOnce(b, 'dense.weight', [2, 3], { kind: 'normal', std: 0.02 });
    const again = paramOnce(b, 'dense.weight', [2, 3], { kind: 'zeros' });
    expect(again).toBe(a);
    expect(b.params.map((p) => p.name)).toEqual(['dense.weight']);
    expect(b.params[0].init).toEqual({ kind: 'normal', std: 0.02 });
  });

  it("uses GraphBuilder.param's weight decay by name unless told", () => {
    const b = new GraphBuilder('g');
    paramOnce(b, 'dense.weight', [2], { kind: 'zeros' });
    paramOnce(b, 'dense.bias', [2], { kind: 'zeros' });
    paramOnce(b, 'embed.weight', [2], { kind: 'zeros' }, { decay: false });
    expect(b.params.map((p) => [p.name, p.decay])).toEqual([
      ['dense.weight', true],
      ['dense.bias', false],
      ['embed.weight', false],
    ]);
  });

  it('rejects a second declaration with another shape, through `fail` when given', () => {
    const b = new GraphBuilder('g');
    paramOnce(b, 'w', [2, 3], { kind: 'zeros' });
    expect(() => paramOnce(b, 'w', [3, 2], { kind: 'zeros' })).toThrow(GraphError);
    expect(() => paramOnce(b, 'w', [2], { kind: 'zeros' })).toThrow('parameter w is already declared with shape [2, 3], not [2]');
    const fail = (message: string): never => {
      throw new Error(`@ssbench/model-x: ${message}`);
    };
    expect(() => paramOnce(b, 'w', [6], { kind: 'zeros' }, { fail })).toThrow('@ssbench/model-x: parameter w is already declared with shape [2, 3], not [6]');
  });
});
