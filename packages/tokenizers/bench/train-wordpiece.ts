/**
 * Benchmark: train a WordPiece vocabulary on the full State of the Union corpus (~10.8 MB) and encode it.
 * Run: npx tsx packages/tokenizers/bench/train-wordpiece.ts [vocabSize=4000] [repeats=3]
 */
import { loadSotu } from '@ssbench/corpora';
import { trainWordPiece } from '../src/index';

const vocabSize = Number(process.argv[2] ?? 4000);
const repeats = Number(process.argv[3] ?? 3);
const corpus = loadSotu();
const texts = corpus.documents.map((d) => d.sentences.join(' '));
const chars = texts.reduce((a, t) => a + t.length, 0);
console.log(`corpus ${corpus.source}: ${corpus.documents.length} documents, ${(chars / 1e6).toFixed(2)} M chars`);
const trainMs: number[] = [];
let wp = trainWordPiece(texts.slice(0, 1), { vocabSize: 100 }); // warm-up
for (let r = 0; r < repeats; r++) {
  const t0 = performance.now();
  wp = trainWordPiece(texts, { vocabSize });
  trainMs.push(performance.now() - t0);
}
const t1 = performance.now();
let pieces = 0;
let unk = 0;
for (const t of texts) {
  const e = wp.encode(t);
  pieces += e.ids.length;
  for (const id of e.ids) if (id === wp.specialIds.unk) unk++;
}
const encodeMs = performance.now() - t1;
trainMs.sort((a, b) => a - b);
console.log(
  `train vocab ${wp.vocabSize}: median ${(trainMs[trainMs.length >> 1] / 1000).toFixed(2)} s over ${repeats} runs ` +
    `(min ${(trainMs[0] / 1000).toFixed(2)} s); encode ${(encodeMs / 1000).toFixed(2)} s, ${pieces} pieces, ${unk} [UNK]`,
);
