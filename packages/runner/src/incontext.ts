/**
 * In-context (few-shot) evaluation of decoder models, following EleutherAI lm-evaluation-harness conventions:
 * prompt = description + K examples, each `doc_to_text + target_delimiter (" ") + target + fewshot_delimiter
 * ("\n\n")`, then the test document's `doc_to_text`; examples are drawn with a seeded RNG from the training split
 * (never the test document); every answer choice is scored by the summed log-likelihood of its tokens given the
 * prompt: `acc` takes the argmax of the sum, `acc_norm` of the sum divided by the choice's length in characters.
 * Zero-, one- and few-shot results come side by side from one list of shot counts.
 */
import type { BackendSession, ClassificationExample, DecoderModel, Executable, RandomSource } from '@ssbench/core';
import { GraphBuilder, type Tensor, tensor } from '@ssbench/graph';
import type { TextTokenizer } from './tokenizer';

export interface PromptFormat {
  /** Put before the examples ('' for none). */
  description: string;
  /** doc_to_text: {text} and {textB} are replaced. */
  prompt: string;
  /** The answer strings, indexed by label. */
  choices: readonly string[];
  targetDelimiter: string;
  fewshotDelimiter: string;
}

export function docToText(template: string, ex: ClassificationExample): string {
  if (!('text' in ex)) throw new Error('in-context evaluation needs text examples');
  return template.replaceAll('{text}', ex.text).replaceAll('{textB}', ex.textB ?? '');
}

/** The context string for `test` with `examples` as demonstrations (harness layout). */
export function buildContext(format: PromptFormat, examples: readonly ClassificationExample[], test: ClassificationExample): string {
  const description = format.description ? format.description + format.fewshotDelimiter : '';
  const shots = examples
    .map((e) => docToText(format.prompt, e) + format.targetDelimiter + format.choices[e.label] + format.fewshotDelimiter)
    .join('');
  return description + shots + docToText(format.prompt, test);
}

/** k distinct indices of `pool`, seeded, never `exclude` (the harness's sampler draws k + 1 and drops the doc). */
export function sampleShots(poolSize: number, k: number, rng: RandomSource, exclude = -1): number[] {
  const available = poolSize - (exclude >= 0 && exclude < poolSize ? 1 : 0);
  if (k > available) throw new Error(`cannot draw ${k} examples from a pool of ${available}`);
  const chosen = new Set<number>();
  while (chosen.size < k) {
    const i = rng.int(poolSize);
    if (i !== exclude) chosen.add(i);
  }
  return [...chosen];
}

/** Per-token log-likelihood graph: log p(next_ids | input_ids) at every position: [batch*seq, 1]. */
export function tokenLogprobGraph(model: DecoderModel) {
  const b = new GraphBuilder('token-logprobs');
  const inputs = {
    inputIds: b.input('input_ids', 'int32', ['batch', 'seq']),
    tokenTypeIds: b.input('token_type_ids', 'int32', ['batch', 'seq']),
    attentionMask: b.input('attention_mask', 'float32', ['batch', 'seq']),
  };
  const nextIds = b.input('next_ids', 'int32', ['rows', 1]); // rows = batch*seq
  const out = model.forward(b, inputs, { training: false });
  const flat = b.reshape(out.sequence, [-1, model.hidden]); // [batch*seq, hidden]
  const logp = b.logSoftmax(model.lmLogits(b, flat, { training: false }), -1); // [batch*seq, vocab]
  b.output('logprobs', b.gatherElements(logp, nextIds, 1)); // [batch*seq, 1]
  return b;
}

/** Log-likelihood of each continuation given the context, one batch per call (right padding). */
export async function scoreContinuations(
  exe: Executable,
  weights: Readonly<Record<string, Tensor>>,
  context: readonly number[],
  continuations: readonly (readonly number[])[],
  maxLen: number,
  pad: number,
): Promise<number[]> {
  // Keep the last maxLen + 1 tokens of context + continuation (left truncation, as the harness does).
  const wholes = continuations.map((c) => [...context, ...c].slice(-(maxLen + 1)));
  const seq = Math.max(...wholes.map((w) => w.length - 1));
  const n = wholes.length;
  const ids = new Int32Array(n * seq).fill(pad);
  const mask = new Float32Array(n * seq);
  const next = new Int32Array(n * seq);
  wholes.forEach((w, r) => {
    ids.set(w.slice(0, -1), r * seq);
    mask.fill(1, r * seq, r * seq + w.length - 1);
    next.set(w.slice(1), r * seq);
  });
  const out = await exe.run({
    ...weights,
    input_ids: tensor('int32', [n, seq], ids),
    token_type_ids: tensor('int32', [n, seq], new Int32Array(n * seq)),
    attention_mask: tensor('float32', [n, seq], mask),
    next_ids: tensor('int32', [n * seq, 1], next),
  });
  const lp = out.logprobs.data as Float32Array;
  return wholes.map((w, r) => {
    const len = continuations[r].length;
    let sum = 0;
    // Position i predicts token i + 1: the continuation's tokens are the last `len` targets of the row.
    for (let i = w.length - 1 - len; i < w.length - 1; i++) sum += lp[r * seq + i];
    return sum;
  });
}

export interface IncontextInput {
  model: DecoderModel;
  tokenizer: TextTokenizer;
  weights: Readonly<Record<string, Tensor>>;
  session: BackendSession;
  train: readonly ClassificationExample[];
  test: readonly ClassificationExample[];
  format: PromptFormat;
  shots: readonly number[];
  maxExamples: number;
  maxLen: number;
  rng: { fork(label: string): RandomSource };
  onProgress?: (done: number, total: number) => void;
}

export interface IncontextOutput {
  shots: { k: number; acc: number; accNorm: number; n: number }[];
  compileMs: number;
  scoreMs: number;
}

export async function evaluateInContext(input: IncontextInput): Promise<IncontextOutput> {
  const { tokenizer, format } = input;
  const t0 = performance.now();
  const exe = await input.session.compile(tokenLogprobGraph(input.model).build());
  const compileMs = performance.now() - t0;
  const s0 = performance.now();
  const test = input.test.slice(0, input.maxExamples);
  // A leading end-of-text/separator token, as the harness prefixes the EOT token.
  const prefix = [tokenizer.specialIds.sep];
  const choiceIds = format.choices.map((c) => tokenizer.encode(format.targetDelimiter + c).ids);
  const results: IncontextOutput['shots'] = [];
  let done = 0;
  for (const k of input.shots) {
    const rng = input.rng.fork(`shots-${k}`);
    let correct = 0;
    let correctNorm = 0;
    for (const ex of test) {
      const demos = sampleShots(input.train.length, k, rng).map((i) => input.train[i]);
      const context = [...prefix, ...tokenizer.encode(buildContext(format, demos, ex)).ids];
      const ll = await scoreContinuations(exe, input.weights, context, choiceIds, input.maxLen, tokenizer.specialIds.pad);
      const argmax = (xs: number[]) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);
      if (argmax(ll) === ex.label) correct++;
      if (argmax(ll.map((x, i) => x / format.choices[i].length)) === ex.label) correctNorm++;
      input.onProgress?.(++done, test.length * input.shots.length);
    }
    results.push({ k, acc: correct / test.length, accNorm: correctNorm / test.length, n: test.length });
  }
  await exe.dispose();
  return { shots: results, compileMs, scoreMs: performance.now() - s0 };
}
