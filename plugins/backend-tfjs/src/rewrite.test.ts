import { GraphBuilder } from '@ssbench/graph';
import { describe, expect, it } from 'vitest';
import { rewriteGraph } from './rewrite';

describe('rewriteGraph', () => {
  it('turns the Gather gradient pattern into _ScatterRows and drops the Expands it bypassed', () => {
    const b = new GraphBuilder('g');
    const w = b.input('w', 'float32', [10, 4]);
    const idx = b.input('idx', 'int32', ['n']);
    const upd = b.input('upd', 'float32', ['n', 4]);
    const ie = b.expand(b.unsqueeze(idx, [1]), b.shapeOf(upd), ['n', 4]);
    const zeros = b.expand(b.scalar(0), b.shapeOf(w), [10, 4]);
    b.output('g', b.scatterElements(zeros, ie, upd, 0, 'add'));
    const g = b.build();
    const nodes = rewriteGraph(g);
    expect(nodes.map((n) => n.op)).toEqual(['Unsqueeze', 'Shape', '_ScatterRows']);
    const rows = nodes.find((n) => n.op === '_ScatterRows');
    expect(rows?.attrs).toEqual({ reduction: 'add', zeroData: 1 });
  });

  it('leaves other ScatterElements alone and keeps nodes that reach an output', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3]);
    const i = b.input('i', 'int32', [2, 3]);
    b.output('y', b.scatterElements(x, i, x, 1, 'add'));
    b.exp(x); // dead
    const nodes = rewriteGraph(b.build());
    expect(nodes.map((n) => n.op)).toEqual(['ScatterElements']);
  });
});
