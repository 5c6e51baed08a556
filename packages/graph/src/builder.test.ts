import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder';
import { interpret } from './interpret';
import { tensor } from './ir';

describe('GraphBuilder.output', () => {
  it('names the producing node output instead of copying it, and the old handle stays usable', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    const y = b.add(x, 1);
    const out = b.output('y', y);
    expect(out.name).toBe('y');
    // The value can still be used (by its old handle or the output handle) after it became an output.
    b.output('z', b.mul(y, out));
    const g = b.build();
    expect(g.nodes.map((n) => n.op)).not.toContain('Identity');
    expect(g.nodes.find((n) => n.op === 'Add')?.outputs).toEqual(['y']);
    expect(g.nodes.find((n) => n.op === 'Mul')?.inputs).toEqual(['y', 'y']);
    expect(g.values.has(y.name)).toBe(false);
    expect(g.values.get('y')?.shape).toEqual([2]);
    const r = interpret(g, { x: tensor('float32', [2], [1, 2]) });
    expect(Array.from(r.y.data as Float32Array)).toEqual([2, 3]);
    expect(Array.from(r.z.data as Float32Array)).toEqual([4, 9]);
  });

  it('uses an Identity for graph inputs, constants and a value output under a second name', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    const y = b.neg(x);
    b.output('a', y);
    b.output('b', y);
    b.output('c', x);
    b.output('d', b.scalar(3));
    b.output('x', x); // an input under its own name: no node at all
    const g = b.build();
    expect(g.nodes.map((n) => `${n.op}:${n.inputs.join(',')}->${n.outputs.join(',')}`)).toEqual(['Neg:x->a', 'Identity:a->b', 'Identity:x->c', `Identity:${g.nodes[3].inputs[0]}->d`]);
    const r = interpret(g, { x: tensor('float32', [2], [1, 2]) });
    expect(Array.from(r.b.data as Float32Array)).toEqual([-1, -2]);
    expect(Array.from(r.d.data as Float32Array)).toEqual([3]);
    expect(g.outputs.map((o) => o.name)).toEqual(['a', 'b', 'c', 'd', 'x']);
  });

  it('refuses an output name that is already taken', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2]);
    expect(() => b.output('x', b.neg(x))).toThrow(/defined twice/);
  });
});
