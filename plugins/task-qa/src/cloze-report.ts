/**
 * Prints the numbers the README reports for the sotu-cloze data set (default options): questions per split before
 * and after the caps, context and question lengths (words, BERT basic tokens), the answer-type mix, an example of
 * each answer type, and the trivial baselines' EM / F1 on the test split.
 *
 *   npx tsx plugins/task-qa/src/cloze-report.ts
 */
import { loadSotu } from '@ssbench/corpora';
import { BASELINES } from './baselines';
import { CLOZE_BLANK, type ClozeExample, clozeSplits } from './cloze';
import { squadScores } from './metrics';
import { resolveQaOptions } from './qa';

const options = resolveQaOptions({});
if (options.dataset !== 'sotu-cloze') throw new Error('unreachable');
const corpus = loadSotu();
const { windowWords, minQuestionWords, maxQuestionWords, answerTypes, split } = options.cloze;
const settings = { windowWords, minQuestionWords, maxQuestionWords, answerTypes };
const all = clozeSplits(corpus.documents, { settings, split, caps: { train: null, dev: null, test: null }, splitSeed: options.splitSeed });
const capped = clozeSplits(corpus.documents, { settings, split, caps: options.caps, splitSeed: options.splitSeed });

const words = (s: string) => s.split(/\s+/).filter((w) => w.length > 0).length;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)}%`;

console.log(`corpus: ${corpus.source}, ${corpus.documents.length} speeches`);
console.log('| split | speeches | questions (uncapped) | questions (capped) | context words (mean) | question words (mean) | name / number / word | answers per question (mean) |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const part of ['train', 'dev', 'test'] as const) {
  const xs: ClozeExample[] = capped[part];
  const types = answerTypes.map((t) => pct(xs.filter((x) => x.answerType === t).length, xs.length)).join(' / ');
  console.log(
    `| ${part} | ${all.speeches[part].length} | ${all[part].length} | ${xs.length} | ${mean(xs.map((x) => words(x.context))).toFixed(1)} | ` +
      `${mean(xs.map((x) => words(x.question))).toFixed(1)} | ${types} | ${mean(xs.map((x) => x.answers.length)).toFixed(2)} |`,
  );
}
// BERT's basic tokenizer splits words and punctuation: a lower bound on WordPiece lengths.
const basic = (t: string) => (t.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? []).length;
const everything = [...capped.train, ...capped.dev, ...capped.test];
const lengths = everything.map((x) => basic(x.question)).sort((a, b) => a - b);
const pairs = everything.map((x) => basic(x.question) + basic(x.context) + 3).sort((a, b) => a - b);
const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
console.log(`basic tokens: question mean ${mean(lengths).toFixed(1)}, p95 ${q(lengths, 0.95)}, max ${lengths[lengths.length - 1]}; [CLS] question [SEP] context [SEP] mean ${mean(pairs).toFixed(1)}, p95 ${q(pairs, 0.95)}, max ${pairs[pairs.length - 1]}`);
const uncapped = [...all.train, ...all.dev, ...all.test];
const lateBlank = uncapped.filter((x) => basic(x.question.slice(0, x.question.indexOf(CLOZE_BLANK))) + 5 > 56).length;
console.log(`questions whose blank ends after basic token 56 (near the runner's 64-token question cut): ${lateBlank} of ${uncapped.length}`);
const longest = Math.max(...[...capped.train, ...capped.dev, ...capped.test].map((x) => x.answers[0].text.split(/[\s.,$%'-]+/).filter(Boolean).length));
console.log(`longest answer: ${longest} words/number groups`);

console.log('\nexamples (test split):');
for (const type of answerTypes) {
  const x = capped.test.find((e) => e.answerType === type && words(e.context) < 80);
  if (x) console.log(JSON.stringify({ id: x.id, question: x.question, context: x.context, answers: x.answers, answerType: x.answerType }, null, 1));
}

console.log('\nbaselines on the test split:');
console.log('| baseline | EM | F1 |');
console.log('| --- | --- | --- |');
const gold = capped.test.map((x) => x.answers.map((a) => a.text));
for (const [name, answer] of Object.entries(BASELINES)) {
  const s = squadScores(capped.test.map(answer), gold);
  console.log(`| ${name} | ${s.exact_match.toFixed(1)} | ${s.f1.toFixed(1)} |`);
}
