/**
 * Benchmark: train a byte-level BPE vocabulary on the full State of the Union corpus (~10.8 MB) and encode it.
 * Run from the repo root: npx tsx packages/tokenizers/bench/train-bpe.ts [vocabSize=4000] [repeats=5]
 */
import { loadSotu } from '@ssbench/corpora';
import { forEachPreToken, trainByteLevelBPE } from '../src/index';

const vocabSize = Number(process.argv[2] ?? 4000);
const repeats = Number(process.argv[3] ?? 5);
const corpus = loadSotu();
const texts = corpus.documents.map((d) => d.sentences.join(' '));
const chars = texts.reduce((a, t) => a + t.length, 0);
console.log(`corpus ${corpus.source}: ${corpus.documents.length} documents, ${(chars / 1e6).toFixed(2)} M chars`);
let bpe = trainByteLevelBPE(texts.slice(0, 1), { vocabSize: 300 }); // warm-up
const trainMs: number[] = [];
for (let r = 0; r < repeats; r++) {
  const t0 = performance.now();
  bpe = trainByteLevelBPE(texts, { vocabSize });
  trainMs.push(performance.now() - t0);
}
// Pre-tokenisation alone (the counting pass of training, without the merges).
const t2 = performance.now();
const counts = new Map<string, number>();
for (const t of texts) forEachPreToken(t, (p) => counts.set(p, (counts.get(p) ?? 0) + 1));
const pretokMs = performance.now() - t2;
const t1 = performance.now();
let pieces = 0;
let ok = true;
for (const t of texts) {
  const e = bpe.encode(t);
  pieces += e.ids.length;
  if (bpe.decode(e.ids) !== t) ok = false;
}
const encodeMs = performance.now() - t1;
trainMs.sort((a, b) => a - b);
console.log(
  `train vocab ${bpe.vocabSize} (${bpe.merges.length} merges): median ${(trainMs[trainMs.length >> 1] / 1000).toFixed(2)} s over ${repeats} runs ` +
    `(min ${(trainMs[0] / 1000).toFixed(2)} s, max ${(trainMs[trainMs.length - 1] / 1000).toFixed(2)} s); ` +
    `pre-tokenise + count ${(pretokMs / 1000).toFixed(2)} s (${counts.size} distinct pre-tokens); ` +
    `encode+decode ${(encodeMs / 1000).toFixed(2)} s, ${pieces} pieces, round trip ${ok ? 'exact' : 'BROKEN'}`,
);
