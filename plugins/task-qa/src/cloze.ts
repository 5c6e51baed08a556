/**
 * A cloze-style extractive QA benchmark derived from real text (here the State of the Union addresses), so QA
 * runs offline. The construction follows the cloze reading-comprehension sets (Hermann et al. 2015, "Teaching
 * Machines to Read and Comprehend"; Hill et al. 2016, the Children's Book Test): a sentence with one word or name
 * blanked out is the question; the passage it came from, without that sentence, is the context; the answer is
 * a span of the context.
 *
 * Construction (deterministic given the seed; nothing depends on the order in which speeches are processed):
 *  1. Windows: each speech's sentences (`@ssbench/corpora`'s splitter) are cut, from the start, into
 *     non-overlapping runs of consecutive sentences of at most `windowWords` words (whitespace-separated) in
 *     total; a sentence longer than that is skipped, and a run of fewer than MIN_WINDOW_SENTENCES sentences is
 *     dropped. Each window gives at most one question.
 *  2. Answer candidates in every sentence, of three types:
 *     - name: a run of 1-4 consecutive capitalised words (`[A-Z][A-Za-z]+`, inner `'`/`-` parts allowed, e.g.
 *       "United States", "Fellow-Citizens"), broken at any punctuation and at a possessive "'s" (which is not
 *       part of the name); leading function words ("The", "Our", "In", ...) are dropped, and so is a
 *       sentence-initial word unless the same word appears capitalised inside some sentence of the speech
 *       ("America prevailed" keeps "America"; "Experts warned" drops "Experts"). Titles ("Mr", "Dr", ...) are
 *       never names.
 *     - number: `123`, `1,234,567`, `3.5`, with an optional leading `$` and trailing `%`.
 *     - word: a lower-case word of at least 6 letters (`[a-z]+`, possessive "'s" removed) that is not a
 *       function word (a fixed list: "should", "because", "through", ...): usually a noun, verb or adjective.
 *  3. A (question sentence, candidate) pair is valid when the sentence has `minQuestionWords` to
 *     `maxQuestionWords` words, does not occur twice in the window and holds no CLOZE_BLANK; the candidate's
 *     text occurs exactly once in the sentence as a substring (so the question never shows the answer
 *     elsewhere); the rest of the window (the context) holds the same text at least once as a candidate of the
 *     same type (the gold answers), and at least one candidate of the same type with a different text (a
 *     distractor: knowing the answer's type is never enough).
 *  4. Choice: the window's RNG (seed, speech id, window index) picks a type uniformly among the allowed types
 *     that have a valid pair, then a pair of that type uniformly.
 *  5. The question is the sentence with the candidate replaced by CLOZE_BLANK; the context is the window's other
 *     sentences, in order, joined by single spaces (the question sentence is removed); the gold answers are all
 *     occurrences of the candidate in the context, with their character offsets.
 * Splits (clozeSplits) are by speech, so no passage is in two splits; see there.
 */
import type { SpanExample } from '@ssbench/core';
import { Rng } from '@ssbench/core';

export type ClozeAnswerType = 'name' | 'number' | 'word';
export const CLOZE_ANSWER_TYPES: readonly ClozeAnswerType[] = ['name', 'number', 'word'];

/** The blank that stands for the answer in the question. */
export const CLOZE_BLANK = '_____';

/** A window needs the question sentence and at least two context sentences. */
export const MIN_WINDOW_SENTENCES = 3;

/** Longest name, in words. */
export const MAX_NAME_WORDS = 4;

export interface ClozeSettings {
  /** Most words in a window (question sentence included), so a context has fewer. */
  windowWords: number;
  minQuestionWords: number;
  maxQuestionWords: number;
  answerTypes: readonly ClozeAnswerType[];
}

export interface ClozeExample extends SpanExample {
  /** Document id of the speech, e.g. "1990_george_bush_r". */
  speech: string;
  answerType: ClozeAnswerType;
}

/** A document as `@ssbench/corpora` gives it: an id and its sentences in order. */
export interface ClozeDocument {
  readonly id: string;
  readonly sentences: readonly string[];
}

/** An answer candidate inside one sentence: `sentence.slice(start, end) === text`. */
export interface Candidate {
  type: ClozeAnswerType;
  text: string;
  start: number;
  end: number;
}

/** Capitalised words that are not names when they lead a run. */
const FUNCTION_CAPS = new Set(
  (
    'A An The This That These Those Our Ours Their Its His Her My Your We I It He She They You Us Them ' +
    'And But Or Nor For So Yet If As At By In On Of To From With Without Into Upon After Before When While Where ' +
    'Whereas Since Until Unless Although Though Because Then Now Here There Today Tonight Yesterday Tomorrow ' +
    'Let Thus Hence Also Again Some Many Much Most More All Any Each Every Both Either Neither Such No Not None ' +
    'What Which Who Whom Whose How Why Whether Yes Only Even Just Still Over Under Between Among Through During ' +
    'Against Within Last Next First Second Third One Two Three Four Five Six Seven Eight Nine Ten ' +
    'Can Could Will Would Shall Should May Might Must Do Does Did Is Are Was Were Be Been Have Has Had'
  ).split(' '),
);

const TITLES = new Set('Mr Mrs Ms Messrs Dr Prof Rev Hon St Sr Jr Gen Col Maj Capt Lt Sgt Adm Gov Sen Rep'.split(' '));

/** Lower-case words of 6+ letters that are not content words. */
const FUNCTION_WORDS = new Set(
  (
    'should because through before during without within whether against between another themselves ' +
    'ourselves itself himself herself myself yourself yourselves already always either neither rather further ' +
    'however therefore unless although toward towards beyond across around behind nothing something anything ' +
    'everything almost perhaps indeed thereby hereby whereas whatever whenever wherever whoever whichever ' +
    'shall things little others around amongst otherwise besides despite except beneath regard regards ' +
    'hitherto therein thereof herein wherein whereby moreover nevertheless notwithstanding accordingly ' +
    'upon unto having become becomes became likewise certain certainly merely simply really entirely ' +
    'someone anyone everyone nobody somebody anybody everybody should would cannot thousand hundred ' +
    'million billion trillion percent'
  ).split(' '),
);

const NAME_RE = /^[A-Z][A-Za-z]+(?:['\u2019-][A-Za-z]+)*$/;
const NUMBER_RE = /^\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?$/;
const WORD_RE = /^[a-z]{6,}$/;
const POSSESSIVE_RE = /['\u2019]s$/;

interface Token {
  /** The word without surrounding punctuation or a possessive "'s". */
  core: string;
  /** Offset of `core` in the sentence. */
  start: number;
  /** Word index in the sentence. */
  index: number;
  /** Punctuation stood before the word (opening quote or bracket). */
  breakBefore: boolean;
  /** Punctuation or a possessive followed the word. */
  breakAfter: boolean;
}

const codes = (chars: string) => new Set([...chars].map((c) => c.charCodeAt(0)));
const LEADING = codes('("\'[\u2018\u201c');
const TRAILING = codes('.,;:!?"\')]\u2019\u201d');

/** JavaScript's \s as a char-code test. */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/** Whitespace-separated words, each with its core (surrounding punctuation and a possessive "'s" removed). */
function tokens(sentence: string): Token[] {
  const out: Token[] = [];
  const n = sentence.length;
  let i = 0;
  let index = 0;
  while (i < n) {
    while (i < n && isSpace(sentence.charCodeAt(i))) i++;
    if (i >= n) break;
    let end = i;
    while (end < n && !isSpace(sentence.charCodeAt(end))) end++;
    let a = i;
    while (a < end && LEADING.has(sentence.charCodeAt(a))) a++;
    let b = end;
    while (b > a && TRAILING.has(sentence.charCodeAt(b - 1))) b--;
    let core = sentence.slice(a, b);
    const possessive = POSSESSIVE_RE.test(core);
    if (possessive) core = core.slice(0, -2);
    out.push({ core, start: a, index, breakBefore: a > i, breakAfter: b < end || possessive });
    index++;
    i = end;
  }
  return out;
}

/** Number of whitespace-separated words. */
export function wordCount(s: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const space = isSpace(s.charCodeAt(i));
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

/** Words seen capitalised after the first word of some sentence: evidence that they are names. */
export function properNounEvidence(sentences: readonly string[]): Set<string> {
  return properNounsOfTokens(sentences.map(tokens));
}

function properNounsOfTokens(tokenised: readonly (readonly Token[])[]): Set<string> {
  const out = new Set<string>();
  for (const toks of tokenised) for (const t of toks) if (t.index > 0 && NAME_RE.test(t.core)) out.add(t.core);
  return out;
}

/** The answer candidates of one sentence, in order of position (see the file header for the rules). */
export function sentenceCandidates(sentence: string, properNouns: ReadonlySet<string>): Candidate[] {
  return candidatesOfTokens(sentence, tokens(sentence), properNouns);
}

function candidatesOfTokens(sentence: string, toks: readonly Token[], properNouns: ReadonlySet<string>): Candidate[] {
  const out: Candidate[] = [];
  let run: Token[] = [];
  const flush = () => {
    let k = 0;
    while (k < run.length && (FUNCTION_CAPS.has(run[k].core) || (run[k].index === 0 && !properNouns.has(run[k].core)))) k++;
    const name = run.slice(k);
    if (name.length > 0 && name.length <= MAX_NAME_WORDS) {
      const last = name[name.length - 1];
      const start = name[0].start;
      const end = last.start + last.core.length;
      out.push({ type: 'name', text: sentence.slice(start, end), start, end });
    }
    run = [];
  };
  for (const t of toks) {
    const end = t.start + t.core.length;
    if (NAME_RE.test(t.core) && !TITLES.has(t.core)) {
      if (run.length > 0 && (run[run.length - 1].breakAfter || t.breakBefore)) flush();
      run.push(t);
      continue;
    }
    flush();
    if (NUMBER_RE.test(t.core)) out.push({ type: 'number', text: t.core, start: t.start, end });
    else if (WORD_RE.test(t.core) && !FUNCTION_WORDS.has(t.core)) out.push({ type: 'word', text: t.core, start: t.start, end });
  }
  flush();
  return out;
}

/** Windows of consecutive sentences as [start, end) index pairs (see the file header, step 1). */
export function sentenceWindows(sentences: readonly string[], windowWords: number): [number, number][] {
  const words = sentences.map(wordCount);
  const out: [number, number][] = [];
  let i = 0;
  while (i < sentences.length) {
    let j = i;
    let total = 0;
    while (j < sentences.length && total + words[j] <= windowWords) total += words[j++];
    if (j === i) {
      i++; // a sentence longer than a window
      continue;
    }
    if (j - i >= MIN_WINDOW_SENTENCES) out.push([i, j]);
    i = j;
  }
  return out;
}

function occurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

/**
 * The cloze question of one window, or null when it has no valid pair (steps 3-5 of the file header).
 * `candidates[k]` are the candidates of `sentences[k]`.
 */
export function clozeFromWindow(
  sentences: readonly string[],
  candidates: readonly (readonly Candidate[])[],
  settings: ClozeSettings,
  rng: Rng,
  meta: { id: string; speech: string },
): ClozeExample | null {
  // Counts of each (type, text) over the whole window; a sentence's own counts are subtracted to get its context's.
  const keys = candidates.map((cs) => cs.map((c) => `${c.type}\u0000${c.text}`));
  const windowCounts = new Map<string, number>();
  const typeTexts = new Map<ClozeAnswerType, number>(); // distinct texts of each type in the window
  for (let k = 0; k < candidates.length; k++)
    for (let i = 0; i < candidates[k].length; i++) {
      const n = windowCounts.get(keys[k][i]) ?? 0;
      if (n === 0) typeTexts.set(candidates[k][i].type, (typeTexts.get(candidates[k][i].type) ?? 0) + 1);
      windowCounts.set(keys[k][i], n + 1);
    }
  const repeated = new Set(sentences.filter((s, k) => sentences.indexOf(s) !== k));
  const valid = new Map<ClozeAnswerType, { q: number; c: Candidate }[]>();
  for (let q = 0; q < sentences.length; q++) {
    const sentence = sentences[q];
    // Cheap test first: an allowed type, and the text somewhere else in the window.
    const maybe = candidates[q].filter((c, i) => settings.answerTypes.includes(c.type) && (windowCounts.get(keys[q][i]) ?? 0) > 1);
    if (maybe.length === 0) continue;
    const n = wordCount(sentence);
    if (n < settings.minQuestionWords || n > settings.maxQuestionWords || repeated.has(sentence) || sentence.includes(CLOZE_BLANK)) continue;
    const own = new Map<string, number>();
    for (const k of keys[q]) own.set(k, (own.get(k) ?? 0) + 1);
    // Distinct texts of each type that occur only in this sentence (so not in its context).
    const onlyHere = new Map<ClozeAnswerType, number>();
    for (const [k, count] of own)
      if (windowCounts.get(k) === count) {
        const type = k.slice(0, k.indexOf('\u0000')) as ClozeAnswerType;
        onlyHere.set(type, (onlyHere.get(type) ?? 0) + 1);
      }
    for (const c of maybe) {
      // Texts of this type in the context: the window's, less those only in this sentence; one is the answer.
      const distractor = (typeTexts.get(c.type) ?? 0) - (onlyHere.get(c.type) ?? 0) - 1 > 0;
      // Once in the sentence, so the gold answers are the window's other occurrences.
      if (!distractor || occurrences(sentence, c.text) !== 1) continue;
      const list = valid.get(c.type);
      if (list) list.push({ q, c });
      else valid.set(c.type, [{ q, c }]);
    }
  }
  const types = CLOZE_ANSWER_TYPES.filter((t) => valid.has(t));
  if (types.length === 0) return null;
  const type = rng.choice(types);
  const { q, c } = rng.choice(valid.get(type) ?? []);
  const question = sentences[q].slice(0, c.start) + CLOZE_BLANK + sentences[q].slice(c.end);
  let context = '';
  const answers: { text: string; start: number }[] = [];
  sentences.forEach((s, j) => {
    if (j === q) return;
    if (context.length > 0) context += ' ';
    for (const d of candidates[j]) if (d.type === c.type && d.text === c.text) answers.push({ text: d.text, start: context.length + d.start });
    context += s;
  });
  return { id: meta.id, question, context, answers, speech: meta.speech, answerType: type };
}

/** Every cloze question of one document, in window order. `rng` is the document's stream. */
export function clozeExamples(doc: ClozeDocument, settings: ClozeSettings, rng: Rng): ClozeExample[] {
  const tokenised = doc.sentences.map(tokens);
  const properNouns = properNounsOfTokens(tokenised);
  const out: ClozeExample[] = [];
  for (const [start, end] of sentenceWindows(doc.sentences, settings.windowWords)) {
    const sentences = doc.sentences.slice(start, end);
    const candidates = sentences.map((s, k) => candidatesOfTokens(s, tokenised[start + k], properNouns));
    const meta = { id: `${doc.id}/${start}`, speech: doc.id };
    const ex = clozeFromWindow(sentences, candidates, settings, rng.fork(`window/${start}`), meta);
    if (ex !== null) out.push(ex);
  }
  return out;
}

export interface ClozeSplitOptions {
  settings: ClozeSettings;
  /** Fractions of the documents (speeches) held out for dev and test. */
  split: { dev: number; test: number };
  caps: { train: number | null; dev: number | null; test: number | null };
  splitSeed: number;
}

export interface ClozeSplits {
  train: ClozeExample[];
  dev: ClozeExample[];
  test: ClozeExample[];
  /** Document ids of each split. */
  speeches: { train: string[]; dev: string[]; test: string[] };
}

/** The question's sentence as it stood in the speech (the blank filled with the answer). */
export function clozeQuestionSentence(x: ClozeExample): string {
  return x.question.replace(CLOZE_BLANK, x.answers[0].text);
}

/**
 * Splits by document: the documents (sorted by id) are shuffled with a stream of `splitSeed` and dealt
 * round(n * test) to test, round(n * dev) to dev, the rest to train, so no window of a speech is in two splits.
 * A dev question whose sentence also occurs verbatim in a train speech, and a test question whose sentence occurs
 * in a train or dev speech, are dropped (presidents repeat some boilerplate).
 * Each split's questions are then shuffled (seeded) and cut to its cap; a larger cap gives a superset.
 */
export function clozeSplits(documents: readonly ClozeDocument[], options: ClozeSplitOptions): ClozeSplits {
  const root = new Rng(options.splitSeed).fork('task-qa').fork('sotu-cloze');
  const ids = documents.map((d) => d.id).sort();
  if (new Set(ids).size !== ids.length) throw new Error('clozeSplits: document ids must be unique');
  const order = root.fork('speeches').shuffle([...ids]);
  const nTest = Math.round(ids.length * options.split.test);
  const nDev = Math.round(ids.length * options.split.dev);
  const speeches = {
    test: order.slice(0, nTest).sort(),
    dev: order.slice(nTest, nTest + nDev).sort(),
    train: order.slice(nTest + nDev).sort(),
  };
  const byId = new Map(documents.map((d) => [d.id, d]));
  const sentencesOf = (parts: readonly ('train' | 'dev' | 'test')[]) =>
    new Set(parts.flatMap((p) => speeches[p].flatMap((id) => (byId.get(id) as ClozeDocument).sentences)));
  // A sentence repeated verbatim in a speech of an earlier split (boilerplate) is not a dev or test question.
  const seenBefore = { train: new Set<string>(), dev: sentencesOf(['train']), test: sentencesOf(['train', 'dev']) };
  const build = (part: 'train' | 'dev' | 'test'): ClozeExample[] => {
    const all = speeches[part]
      .flatMap((id) => clozeExamples(byId.get(id) as ClozeDocument, options.settings, root.fork(`speech/${id}`)))
      .filter((x) => !seenBefore[part].has(clozeQuestionSentence(x)));
    const shuffled = root.fork(`order/${part}`).shuffle(all);
    const cap = options.caps[part];
    return cap === null ? shuffled : shuffled.slice(0, cap);
  };
  return { train: build('train'), dev: build('dev'), test: build('test'), speeches };
}
