import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder';
import { interpret } from './interpret';
import { type Graph, type Tensor, tensor } from './ir';
import { softmaxCrossEntropy } from './losses';
import { INPUTS_METADATA_KEY, ONNX_OPS, fromOnnx, toOnnx } from './onnx';
import { conformanceCases } from './testing';
import { buildTrainingGraph } from './train';

const pb = onnxProto.onnx;
const AT = pb.AttributeProto.AttributeType;

/** A graph touching every attribute kind and most ops, with symbolic batch/seq dims. */
function sampleGraph(): Graph {
  const b = new GraphBuilder('sample');
  const ids = b.input('input_ids', 'int32', ['batch', 'seq']);
  const mask = b.input('attention_mask', 'float32', ['batch', 'seq']);
  const emb = b.param('emb.weight', [10, 4], { kind: 'normal', std: 0.02 });
  const w = b.param('dense.weight', [4, 4], { kind: 'normal', std: 0.02 });
  const g = b.param('ln.weight', [4], { kind: 'ones' });
  const beta = b.param('ln.bias', [4], { kind: 'zeros' });
  const x = b.gather(emb, ids, 0); // [batch, seq, 4]
  const h = b.matmul(x, w);
  const { y, mean, invStd } = b.layerNormFull(b.tanh(b.erf(h)), g, beta, 1e-12);
  const t = b.transpose(y, [0, 2, 1]); // [batch, 4, seq]
  const r = b.reduceMean(t, [1], false); // [batch, seq]
  const s = b.reduceSum(b.mul(r, mask), [1], true); // [batch, 1]
  const m = b.reduceMax(b.softmax(y, -1), [2], false); // [batch, seq]
  const flat = b.reshape(y, [-1, 4]); // [batch*seq, 4]
  const cols = b.slice(flat, [1], [3], [1]); // [batch*seq, 2]
  const cat = b.concat([cols, cols], 1); // [batch*seq, 4]
  const idx = b.cast(b.greater(b.reduceSum(cat, [1], true), b.scalar(0)), 'int32'); // [batch*seq, 1]
  const ge = b.gatherElements(b.logSoftmax(cat, 1), idx, 1);
  const sc = b.scatterElements(cat, idx, ge, 1, 'add');
  const u = b.squeeze(b.unsqueeze(s, [0]), [0]);
  const e = b.expand(u, b.shapeOf(mask), ['batch', 'seq']);
  const wh = b.where(b.equal(ids, b.scalar(0, 'int32')), b.neg(e), b.sqrt(b.exp(b.relu(e))));
  b.output('loss', b.div(b.sub(b.pow(b.reduceMean(wh, [0, 1], false), 2), b.min(r, m)), b.max(b.sigmoid(u), b.scalar(1))));
  b.output('scattered', sc);
  b.output('mean', mean);
  b.output('inv_std', invStd);
  b.output('not_mask', b.not(b.less(mask, 0.5)));
  b.output('log', b.log(b.identity(b.add(mask, 1))));
  return b.build();
}

/** A training-step graph (forward + autodiff backward + AdamW) of a tiny attention LM. */
function trainingGraph(): Graph {
  const b = new GraphBuilder('tiny-lm-step');
  const ids = b.input('input_ids', 'int32', ['batch', 'seq']);
  const labels = b.input('labels', 'int32', ['batch*seq', 1]);
  const emb = b.param('emb.weight', [11, 8], { kind: 'normal', std: 0.5 });
  const wq = b.param('attn.q.weight', [8, 8], { kind: 'normal', std: 0.3 });
  const g = b.param('ln.weight', [8], { kind: 'ones' });
  const beta = b.param('ln.bias', [8], { kind: 'zeros' });
  const x = b.gather(emb, ids, 0); // [batch, seq, 8]
  const att = b.softmax(b.matmul(b.matmul(x, wq), b.transpose(x, [0, 2, 1])), -1); // [batch, seq, seq]
  const h = b.layerNorm(b.add(x, b.matmul(att, x)), g, beta, 1e-5);
  const logits = b.matmul(b.reshape(b.tanh(h), [-1, 8]), b.transpose(emb, [1, 0])); // [batch*seq, 11]
  const loss = softmaxCrossEntropy(b, logits, labels);
  return buildTrainingGraph(b, loss, { lr: 0.01, warmupSteps: 1, totalSteps: 10, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, schedule: 'linear', clipNorm: 1 })
    .graph;
}

function decodeModel(bytes: Uint8Array) {
  return pb.ModelProto.decode(bytes);
}

function expectSameGraph(a: Graph, b: Graph): void {
  expect(b.name).toBe(a.name);
  expect(b.inputs).toEqual(a.inputs);
  expect(b.outputs).toEqual(a.outputs);
  expect(b.nodes).toEqual(a.nodes);
  expect([...b.initializers.keys()]).toEqual([...a.initializers.keys()]);
  for (const [k, t] of a.initializers) expect(b.initializers.get(k), k).toEqual(t);
  expect(new Map([...b.values].sort())).toEqual(new Map([...a.values].sort()));
}

describe('toOnnx / fromOnnx', () => {
  it('writes IR 8, opset 17, symbolic dims as dim_param and initializers as raw_data', () => {
    const graph = sampleGraph();
    const model = decodeModel(toOnnx(graph, { producer: 'ssbench-test', docString: 'doc' }));
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(model.producerName).toBe('ssbench-test');
    expect(model.docString).toBe('doc');
    const g = model.graph as InstanceType<typeof pb.GraphProto>;
    expect(g.input.map((i) => i.name)).toEqual(graph.inputs.map((i) => i.name));
    const ids = g.input[0].type?.tensorType;
    expect(ids?.elemType).toBe(6);
    expect(ids?.shape?.dim?.map((d) => d.dimParam)).toEqual(['batch', 'seq']);
    const emb = g.input[2].type?.tensorType;
    expect(emb?.shape?.dim?.map((d) => Number(d.dimValue))).toEqual([10, 4]);
    // constants: raw little-endian bytes, no typed fields
    const inits = g.initializer as onnx.TensorProto[];
    for (const t of inits) {
      expect(t.rawData.length, t.name).toBeGreaterThan(0);
      expect(t.floatData.length + t.int64Data.length + t.int32Data.length).toBe(0);
    }
    const scalar = inits.find((t) => t.dataType === 1 && t.dims.length === 0);
    expect(Array.from(new Float32Array(new Uint8Array(scalar?.rawData as Uint8Array).buffer))).toEqual([0]);
    expect(g.valueInfo.length).toBe(graph.nodes.reduce((n, x) => n + x.outputs.length, 0) - graph.outputs.length);
  });

  it('gives every attribute its opset-17 AttributeProto type', () => {
    const g = decodeModel(toOnnx(sampleGraph())).graph as InstanceType<typeof pb.GraphProto>;
    const attr = (op: string, name: string) => {
      const n = g.node.find((x) => x.opType === op);
      const a = (n?.attribute as onnx.AttributeProto[] | undefined)?.find((x) => x.name === name);
      if (!a) throw new Error(`no ${op}.${name}`);
      return a;
    };
    expect(attr('LayerNormalization', 'epsilon').type).toBe(AT.FLOAT);
    expect(attr('LayerNormalization', 'epsilon').f).toBeCloseTo(1e-12, 20);
    expect(attr('LayerNormalization', 'axis').type).toBe(AT.INT);
    expect(Number(attr('LayerNormalization', 'axis').i)).toBe(2);
    expect(attr('Cast', 'to').type).toBe(AT.INT);
    expect(Number(attr('Cast', 'to').i)).toBe(6);
    expect(attr('Transpose', 'perm').type).toBe(AT.INTS);
    expect(attr('Transpose', 'perm').ints.map(Number)).toEqual([0, 2, 1]);
    expect(attr('ReduceMean', 'axes').type).toBe(AT.INTS);
    expect(attr('ReduceMean', 'keepdims').type).toBe(AT.INT);
    expect(attr('ScatterElements', 'reduction').type).toBe(AT.STRING);
    expect(new TextDecoder().decode(attr('ScatterElements', 'reduction').s)).toBe('add');
    expect(attr('Gather', 'axis').type).toBe(AT.INT);
    expect(attr('Softmax', 'axis').type).toBe(AT.INT);
    // ReduceSum's axes are an input in opset 13+, not an attribute
    expect(g.node.find((x) => x.opType === 'ReduceSum')?.input?.length).toBe(2);
  });

  it('round-trips structure, attributes, initializers and value types', () => {
    const graph = sampleGraph();
    const { graph: back, weights } = fromOnnx(toOnnx(graph));
    expect(weights.size).toBe(0);
    expectSameGraph(graph, back);
    // and is stable
    expect(toOnnx(back)).toEqual(toOnnx(graph));
  });

  it('embeds weights as initializers and gives them back as inputs in their places', () => {
    const graph = sampleGraph();
    const weights = new Map<string, Tensor>([
      ['emb.weight', tensor('float32', [10, 4], Float32Array.from({ length: 40 }, (_, i) => i / 7))],
      ['dense.weight', tensor('float32', [4, 4], Float32Array.from({ length: 16 }, (_, i) => -i))],
      ['ln.weight', tensor('float32', [4], [1, 1, 1, 1])],
      ['ln.bias', tensor('float32', [4], [0, 0.5, 0, 0])],
    ]);
    const bytes = toOnnx(graph, { weights });
    const model = decodeModel(bytes);
    const g = model.graph as InstanceType<typeof pb.GraphProto>;
    expect(g.input.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);
    expect(g.initializer.map((t) => t.name)).toEqual(expect.arrayContaining([...weights.keys()]));
    expect(JSON.parse(model.metadataProps.find((p) => p.key === INPUTS_METADATA_KEY)?.value ?? '')).toEqual(graph.inputs.map((i) => i.name));
    const back = fromOnnx(bytes);
    expectSameGraph(graph, back.graph);
    expect(back.weights).toEqual(weights);
  });

  it('refuses weights that are not inputs or do not fit', () => {
    const graph = sampleGraph();
    expect(() => toOnnx(graph, { weights: new Map([['nope', tensor('float32', [1])]]) })).toThrow(/weight "nope" is not an input/);
    expect(() => toOnnx(graph, { weights: new Map([['ln.bias', tensor('float32', [5])]]) })).toThrow(/weight "ln.bias" is float32 \[5\] but the input is float32 \[4\]/);
  });

  it('refuses attributes of the wrong type or unknown to the op', () => {
    const b = new GraphBuilder('bad');
    const x = b.input('x', 'float32', [2]);
    b.node('Softmax', [x], [{ dtype: 'float32', shape: [2] }], { axis: 0.5 });
    b.output('y', b.node('Relu', [x], [{ dtype: 'float32', shape: [2] }], { alpha: 1 })[0]);
    expect(() => toOnnx(b.build())).toThrow(/attribute "axis" should be int, got 0.5/);
    const c = new GraphBuilder('bad2');
    const z = c.input('x', 'float32', [2]);
    c.output('y', c.node('Relu', [z], [{ dtype: 'float32', shape: [2] }], { alpha: 1 })[0]);
    expect(() => toOnnx(c.build())).toThrow(/node "y" \(Relu\) attribute "alpha" is not an opset 17 attribute of Relu/);
  });

  it('names the op and node of an unsupported operator', () => {
    const bytes = pb.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 3 }, { dimValue: 8 }, { dimValue: 8 }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [] } } } }],
        node: [{ name: 'conv1', opType: 'Conv', input: ['x', 'w'], output: ['y'] }],
      },
    }).finish();
    expect(() => fromOnnx(bytes)).toThrow(/node "conv1" uses op Conv, which ssbench does not support/);
    expect(() => fromOnnx(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(/not an ONNX model/);
  });

  it('infers types and shapes when a model carries no value_info', () => {
    const graph = sampleGraph();
    const { graph: back } = fromOnnx(toOnnx(graph, { valueInfo: false }));
    expect(back.nodes).toEqual(graph.nodes);
    for (const [name, v] of graph.values) {
      const w = back.values.get(name);
      expect(w?.dtype, name).toBe(v.dtype);
      expect(w?.shape.length, name).toBe(v.shape.length);
      // fixed sizes and plain symbols are recovered exactly; composite symbols (batch*seq) may become fresh ones
      v.shape.forEach((d, i) => {
        if (typeof d === 'number' || !/[*()/+[]/.test(d)) expect(w?.shape[i], `${name}[${i}]`).toBe(d);
      });
    }
  });

  it('reads a foreign model without ssbench metadata: float initializers become weights', () => {
    const bytes = pb.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'foreign',
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'n' }, { dimValue: 2 }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'n' }, { dimValue: 3 }] } } } }],
        initializer: [
          { name: 'w', dims: [2, 3], dataType: 1, floatData: [1, 2, 3, 4, 5, 6] },
          { name: 'two', dims: [], dataType: 1, floatData: [2] },
        ],
        node: [
          { name: 'mm', opType: 'MatMul', input: ['x', 'w'], output: ['h'] },
          { name: 'scale', opType: 'Mul', input: ['h', 'two'], output: ['y'] },
        ],
      },
    }).finish();
    const { graph, weights } = fromOnnx(bytes);
    expect(graph.inputs.map((i) => [i.name, i.shape])).toEqual([
      ['x', ['n', 2]],
      ['w', [2, 3]],
    ]);
    expect(weights.get('w')).toEqual(tensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]));
    expect([...graph.initializers.keys()]).toEqual(['two']);
    expect(graph.values.get('h')).toEqual({ name: 'h', dtype: 'float32', shape: ['n', 3] });
  });

  it('round-trips a full training-step graph (forward, backward, AdamW)', () => {
    const graph = trainingGraph();
    const { graph: back } = fromOnnx(toOnnx(graph));
    expectSameGraph(graph, back);
  });

  it('drops trailing omitted optional inputs (LayerNormalization without bias)', () => {
    const b = new GraphBuilder('ln-no-bias');
    const x = b.input('x', 'float32', ['n', 4]);
    const g = b.input('g', 'float32', [4]);
    b.output('y', b.node('LayerNormalization', [x, g, null], [{ dtype: 'float32', shape: ['n', 4] }], { axis: -1, epsilon: 1e-5 })[0]);
    const graph = b.build();
    const onnxGraph = decodeModel(toOnnx(graph)).graph as InstanceType<typeof pb.GraphProto>;
    expect(onnxGraph.node[0].input).toEqual(['x', 'g']);
    expect(fromOnnx(toOnnx(graph)).graph.nodes[0].inputs).toEqual(['x', 'g']);
  });

  it('round-trips every conformance graph; without value_info the inferred shapes run in the interpreter', () => {
    const trim = (xs: readonly string[]) => {
      const out = [...xs];
      while (out.length && out[out.length - 1] === '') out.pop();
      return out;
    };
    for (const c of conformanceCases()) {
      const { graph, feeds } = c.build();
      const back = fromOnnx(toOnnx(graph)).graph;
      expect(back.nodes.map((n) => ({ ...n, inputs: trim(n.inputs) })), c.name).toEqual(graph.nodes.map((n) => ({ ...n, inputs: trim(n.inputs) })));
      expect(new Map([...back.values].sort()), c.name).toEqual(new Map([...graph.values].sort()));
      const inferred = fromOnnx(toOnnx(graph, { valueInfo: false })).graph;
      const want = interpret(graph, feeds);
      const got = interpret(inferred, feeds); // throws when an inferred fixed shape disagrees with the computed one
      for (const o of graph.outputs) expect(got[o.name], `${c.name}: ${o.name}`).toEqual(want[o.name]);
    }
  });

  it('lists every IR op as supported', () => {
    expect(ONNX_OPS).toContain('LayerNormalization');
    expect(ONNX_OPS).toContain('ScatterElements');
  });

  const python = '/usr/bin/python3';
  const hasOnnx = spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasOnnx)(
    `passes onnx.checker.check_model with full_check${hasOnnx ? '' : ' (SKIPPED: /usr/bin/python3 cannot import onnx; apt-get install python3-onnx to run it)'}`,
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'ssbench-onnx-'));
      try {
        const models: [string, Uint8Array][] = [
          ['sample.onnx', toOnnx(sampleGraph(), { weights: new Map([['ln.bias', tensor('float32', [4], [0, 0, 0, 0])]]) })],
          ['sample-no-value-info.onnx', toOnnx(sampleGraph(), { valueInfo: false })],
          ['training-step.onnx', toOnnx(trainingGraph())],
        ];
        // every graph of the shared conformance suite: all ops, attributes and omitted optional inputs
        for (const c of conformanceCases()) models.push([`case-${c.name}.onnx`, toOnnx(c.build().graph)]);
        const paths = models.map(([file, bytes]) => {
          const path = join(dir, file);
          writeFileSync(path, bytes);
          return path;
        });
        const script = [
          'import onnx, sys',
          'for p in sys.argv[1:]:',
          '    try:',
          '        onnx.checker.check_model(onnx.load(p), full_check=True)',
          '        print("ok", p)',
          '    except Exception as e:',
          '        print("FAIL", p, str(e).splitlines()[:3])',
        ].join('\n');
        const r = spawnSync(python, ['-c', script, ...paths], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        const lines = r.stdout.trim().split('\n');
        expect(lines.filter((l) => !l.startsWith('ok '))).toEqual([]);
        expect(lines.length).toBe(paths.length);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
