/**
 * SQuAD v1.1 / v2.0 JSON files (Rajpurkar et al. 2016, 2018; https://rajpurkar.github.io/SQuAD-explorer/):
 *
 *   { version, data: [ { title, paragraphs: [ { context, qas: [ { id, question, answers: [ { text, answer_start } ],
 *     is_impossible?, plausible_answers? } ] } ] } ] }
 *
 * Every record is checked; a malformed one is a data error naming the file, the JSON pointer of the record
 * (e.g. `/data/3/paragraphs/1/qas/0/answers/2`) and the reason. Rules:
 *  - `version` (when present) must agree with the configured version ("1.1"/"v1.1", "2.0"/"v2.0");
 *  - `title` is a string, `context` a non-empty string, `question` a non-empty string, `id` a non-empty string
 *    unique within the file;
 *  - v1.1: every question has at least one answer and no `is_impossible: true`;
 *  - v2.0: `is_impossible` is a boolean (absent = false); an impossible question has no answers (its
 *    `plausible_answers`, which ssbench does not use, are only checked to be `{text, answer_start}` records);
 *    a possible one has at least one answer;
 *  - an answer's `text` is a non-empty string and `answer_start` a non-negative integer.
 *
 * Offsets: `answer_start` must point at `text` inside `context`. The official files are known to hold a few
 * answers whose offset is off by some characters or whose whitespace differs from the context's (BERT's
 * run_squad.py skips such answers with "Could not find answer"). This loader keeps and repairs them: when
 * `context.slice(start, start + text.length) !== text` it takes the occurrence of `text` nearest to
 * `answer_start` within OFFSET_SEARCH_CHARS characters; failing that, the nearest span of the context that
 * equals `text` once whitespace runs are collapsed (the answer text then becomes that span of the context, so
 * offsets are always exact). Repairs are counted in `offsetRepairs`. An answer that cannot be found nearby is
 * a data error.
 */
import { readFileSync } from 'node:fs';
import type { SpanExample } from '@ssbench/core';
import { SsbenchError } from '@ssbench/core';

export type SquadVersion = '1.1' | '2.0';

/** How far (characters, either side) a mis-placed `answer_start` is searched for its text. */
export const OFFSET_SEARCH_CHARS = 64;

/** One question, with the article it belongs to (splits keep articles together). */
export interface SquadExample extends SpanExample {
  /** Index of the article in its file (`/data/<article>`). */
  article: number;
  title: string;
  /** SQuAD 2.0: the question has no answer in the context. */
  impossible: boolean;
}

export interface SquadFile {
  file: string;
  version: SquadVersion;
  examples: SquadExample[];
  articles: number;
  /** Answers whose offset or whitespace was repaired (see the file header). */
  offsetRepairs: number;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const VERSION_NAMES: Record<SquadVersion, readonly string[]> = { '1.1': ['1.1', 'v1.1'], '2.0': ['2.0', 'v2.0'] };

/** Reads and checks one SQuAD file (see the file header for the rules). */
export function readSquadFile(file: string, version: SquadVersion): SquadFile {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SsbenchError('data', `cannot read SQuAD file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (e) {
    throw new SsbenchError('data', `invalid JSON: ${(e as Error).message}`, { file });
  }
  return parseSquad(doc, file, version);
}

/** Checks an already parsed SQuAD document; `file` is only used in error messages. */
export function parseSquad(doc: unknown, file: string, version: SquadVersion): SquadFile {
  const fail = (pointer: string, reason: string): never => {
    throw new SsbenchError('data', reason, { file, pointer });
  };
  if (!isObject(doc)) return fail('', 'expected a JSON object {version, data: [...]}');
  if (doc.version !== undefined && !VERSION_NAMES[version].includes(String(doc.version)))
    fail('/version', `file says version ${JSON.stringify(doc.version)}, but the task is configured for SQuAD ${version}`);
  if (!Array.isArray(doc.data)) return fail('/data', 'expected "data" to be an array of articles');
  const examples: SquadExample[] = [];
  const seen = new Map<string, string>();
  const repairs = { count: 0 };
  for (let a = 0; a < doc.data.length; a++) {
    const article: unknown = doc.data[a];
    const ap = `/data/${a}`;
    if (!isObject(article)) return fail(ap, 'expected an article object {title, paragraphs}');
    const title = article.title;
    if (typeof title !== 'string') return fail(`${ap}/title`, `"title" must be a string, got ${JSON.stringify(title)}`);
    if (!Array.isArray(article.paragraphs)) return fail(`${ap}/paragraphs`, '"paragraphs" must be an array');
    for (let p = 0; p < article.paragraphs.length; p++) {
      const paragraph: unknown = article.paragraphs[p];
      const pp = `${ap}/paragraphs/${p}`;
      if (!isObject(paragraph)) return fail(pp, 'expected a paragraph object {context, qas}');
      const context = paragraph.context;
      if (typeof context !== 'string' || context.trim() === '') return fail(`${pp}/context`, '"context" must be a non-empty string');
      if (!Array.isArray(paragraph.qas)) return fail(`${pp}/qas`, '"qas" must be an array');
      for (let q = 0; q < paragraph.qas.length; q++) {
        const ex = parseQuestion(paragraph.qas[q], `${pp}/qas/${q}`, context, version, seen, repairs, fail);
        examples.push({ ...ex, article: a, title });
      }
    }
  }
  return { file, version, examples, articles: doc.data.length, offsetRepairs: repairs.count };
}

/** One `qas` record: its id (unique in `seen`), question, answers located in the context. */
function parseQuestion(
  qa: unknown,
  qp: string,
  context: string,
  version: SquadVersion,
  seen: Map<string, string>,
  repairs: { count: number },
  fail: (pointer: string, reason: string) => never,
): Omit<SquadExample, 'article' | 'title'> {
  if (!isObject(qa)) return fail(qp, 'expected a question object {id, question, answers}');
  const id = qa.id;
  if (typeof id !== 'string' || id === '') return fail(`${qp}/id`, `"id" must be a non-empty string, got ${JSON.stringify(id)}`);
  const first = seen.get(id);
  if (first !== undefined) fail(`${qp}/id`, `duplicate question id ${JSON.stringify(id)} (first at ${first})`);
  seen.set(id, qp);
  const question = qa.question;
  if (typeof question !== 'string' || question.trim() === '')
    return fail(`${qp}/question`, `"question" must be a non-empty string, got ${JSON.stringify(question)}`);
  if (!Array.isArray(qa.answers)) return fail(`${qp}/answers`, '"answers" must be an array');
  const impossible = qa.is_impossible ?? false;
  if (typeof impossible !== 'boolean') return fail(`${qp}/is_impossible`, `"is_impossible" must be a boolean, got ${JSON.stringify(impossible)}`);
  if (version === '1.1' && impossible) fail(`${qp}/is_impossible`, 'SQuAD 1.1 has no unanswerable questions (is_impossible is true)');
  if (impossible && qa.answers.length > 0) fail(`${qp}/answers`, `an unanswerable question (is_impossible) must have no answers, got ${qa.answers.length}`);
  if (!impossible && qa.answers.length === 0) fail(`${qp}/answers`, version === '1.1' ? 'no answers' : 'no answers, but is_impossible is not true');
  if (qa.plausible_answers !== undefined) {
    if (!Array.isArray(qa.plausible_answers)) return fail(`${qp}/plausible_answers`, '"plausible_answers" must be an array');
    for (let k = 0; k < qa.plausible_answers.length; k++) checkAnswerShape(qa.plausible_answers[k], `${qp}/plausible_answers/${k}`, fail);
  }
  const answers: { text: string; start: number }[] = [];
  for (let k = 0; k < qa.answers.length; k++) {
    const at = `${qp}/answers/${k}`;
    const { text, start } = checkAnswerShape(qa.answers[k], at, fail);
    const found = locateAnswer(context, text, start);
    if (found === null)
      return fail(
        `${at}/answer_start`,
        `answer ${JSON.stringify(clip(text))} is not at answer_start ${start} (context there: ${JSON.stringify(clip(context.slice(start, start + text.length)))}) nor within ${OFFSET_SEARCH_CHARS} characters of it`,
      );
    if (found.start !== start || found.text !== text) repairs.count++;
    answers.push(found);
  }
  return { id, question: question.trim(), context, answers, impossible };
}

function checkAnswerShape(ans: unknown, at: string, fail: (pointer: string, reason: string) => never): { text: string; start: number } {
  if (!isObject(ans)) return fail(at, 'expected an answer object {text, answer_start}');
  if (typeof ans.text !== 'string' || ans.text.trim() === '') fail(`${at}/text`, `answer "text" must be a non-empty string, got ${JSON.stringify(ans.text)}`);
  if (!Number.isInteger(ans.answer_start) || (ans.answer_start as number) < 0)
    fail(`${at}/answer_start`, `"answer_start" must be a non-negative integer, got ${JSON.stringify(ans.answer_start)}`);
  return { text: ans.text as string, start: ans.answer_start as number };
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

/**
 * The answer's exact place in the context: at `start` if it is there, else the nearest exact occurrence within
 * OFFSET_SEARCH_CHARS, else the nearest span equal to `text` up to whitespace (returned with the context's
 * own characters). Null when none is found.
 */
export function locateAnswer(context: string, text: string, start: number): { text: string; start: number } | null {
  if (context.startsWith(text, start)) return { text, start };
  const lo = Math.max(0, start - OFFSET_SEARCH_CHARS);
  const hi = Math.min(context.length, start + OFFSET_SEARCH_CHARS + text.length);
  let best = -1;
  for (let i = context.indexOf(text, lo); i >= 0 && i + text.length <= hi; i = context.indexOf(text, i + 1))
    if (best < 0 || Math.abs(i - start) < Math.abs(best - start)) best = i;
  if (best >= 0) return { text, start: best };
  // Whitespace differences: match the answer's words separated by any whitespace.
  const words = text.trim().split(/\s+/);
  const re = new RegExp(words.map(escapeRegExp).join('\\s+'), 'g');
  const window = context.slice(lo, hi);
  let found: { text: string; start: number } | null = null;
  for (let m = re.exec(window); m !== null; m = re.exec(window)) {
    const at = lo + m.index;
    if (found === null || Math.abs(at - start) < Math.abs(found.start - start)) found = { text: m[0], start: at };
    re.lastIndex = m.index + 1;
  }
  return found;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
