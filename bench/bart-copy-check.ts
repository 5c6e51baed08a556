import { readFileSync } from 'node:fs';
/**
 * Does a pretrained BART-style checkpoint use its encoder? Scores one target sequence (teacher-forced, mean NLL per
 * token) with three sources: the target itself (a model that learned to copy scores it far better), the target
 * rotated, and unrelated tokens. Equal numbers: the decoder ignores the source and acts as a plain language model.
 *
 *   npx tsx bench/bart-copy-check.ts <checkpoint dir from .ssbench-cache/pretrain> [random]
 *
 * (`random`: the same check at random initialisation.) The model sizes are those of configs/objectives.json's bart-mini.
 */
import { Rng } from '../packages/core/src/index';
import { GraphBuilder, initParams, interpret, readSafetensors, tensor } from '../packages/graph/src/index';
import { createBart } from '../plugins/model-seq2seq/src/index';
const dir = process.argv[2];
const vocab = readFileSync(`${dir}/vocab.txt`, 'utf8').split('\n').filter((l) => l.length > 0).length;
const model = createBart({ dModel: 128, encoderLayers: 1, decoderLayers: 1, heads: 2, ffnDim: 512, maxPositions: 128, dropout: 0 } as never, { vocabSize: vocab });
const w = readSafetensors(new Uint8Array(readFileSync(`${dir}/model.safetensors`))).tensors;
const b = new GraphBuilder('chk');
const ids = b.input('input_ids', 'int32', ['batch', 'src']);
const am = b.input('attention_mask', 'float32', ['batch', 'src']);
const dids = b.input('decoder_input_ids', 'int32', ['batch', 'tgt']);
const dam = b.input('decoder_attention_mask', 'float32', ['batch', 'tgt']);
const { memory } = model.encode(b, { inputIds: ids, attentionMask: am }, { training: false });
const { sequence } = model.decode(b, { decoderInputIds: dids, decoderAttentionMask: dam, memory, memoryMask: am }, { training: false });
const flat = b.reshape(sequence, [-1, model.hidden]);
b.output('logits', b.logSoftmax(model.lmLogits(b, flat, { training: false }), -1));
const g = b.build();
const wr = process.argv[3] === 'random' ? initParams(b.params, new Rng(1)) : null;
if (wr) for (const [k, v] of wr) w.set(k, v);

const T = 40;
const tgt = Array.from({ length: T }, (_, i) => 10 + ((i * 37) % 900));
const dec = [2, ...tgt.slice(0, T - 1)];
const run = (src: number[]) => {
  const feeds: Record<string, unknown> = Object.fromEntries(w);
  feeds.input_ids = tensor('int32', [1, T], Int32Array.from(src));
  feeds.attention_mask = tensor('float32', [1, T], new Float32Array(T).fill(1));
  feeds.decoder_input_ids = tensor('int32', [1, T], Int32Array.from(dec));
  feeds.decoder_attention_mask = tensor('float32', [1, T], new Float32Array(T).fill(1));
  const lp = interpret(g, feeds as never).logits.data as Float32Array;
  let nll = 0;
  for (let i = 0; i < T; i++) nll -= lp[i * vocab + tgt[i]];
  return nll / T;
};
console.log('NLL source = target (copy):', run(tgt).toFixed(4));
console.log('NLL source = rotated target:', run([...tgt.slice(15), ...tgt.slice(0, 15)]).toFixed(4));
console.log('NLL source = unrelated tokens:', run(Array.from({ length: T }, (_, i) => 1000 + ((i * 53) % 2000))).toFixed(4));
