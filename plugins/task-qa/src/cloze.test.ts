import { type Corpus, loadSotu } from '@ssbench/corpora';
import { Rng } from '@ssbench/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { firstCapitalised, mostFrequentCandidate, mostFrequentNotInQuestion, neighbourMatch } from './baselines';
import { properNounEvidence } from './cloze';
import {
  CLOZE_ANSWER_TYPES,
  CLOZE_BLANK,
  type ClozeExample,
  type ClozeSettings,
  type ClozeSplits,
  clozeExamples,
  clozeQuestionSentence,
  clozeSplits,
  sentenceCandidates,
  SotuClozeTask,
  resolveQaOptions,
  sentenceWindows,
} from './index';

const SETTINGS: ClozeSettings = { windowWords: 150, minQuestionWords: 6, maxQuestionWords: 40, answerTypes: CLOZE_ANSWER_TYPES };
const pick = (cs: { type: string; text: string }[]) => cs.map((c) => `${c.type}:${c.text}`);

describe('answer candidates', () => {
  it('finds names, numbers and content words with exact offsets', () => {
    const s = 'The United States and Mr. Smith met in Paris on 12 May 1990, spending $1,500,000 (about 3.5%) on infrastructure.';
    const cs = sentenceCandidates(s, new Set());
    expect(pick(cs)).toEqual([
      'name:United States', // leading "The" dropped
      'name:Smith', // "Mr." is a title, and its "." breaks the run
      'name:Paris',
      'number:12',
      // "May" leads a run and is also the modal verb: dropped.
      'number:1990',
      'word:spending',
      'number:$1,500,000',
      'number:3.5%',
      'word:infrastructure',
    ]);
    for (const c of cs) expect(s.slice(c.start, c.end)).toBe(c.text);
  });

  it('keeps a sentence-initial name only with evidence from elsewhere in the speech', () => {
    const s = 'America prevailed because Congress acted.';
    expect(pick(sentenceCandidates(s, new Set()))).toEqual(['word:prevailed', 'name:Congress']); // "because" is a function word
    expect(pick(sentenceCandidates(s, new Set(['America'])))).toEqual(['name:America', 'word:prevailed', 'name:Congress']);
    expect(properNounEvidence(['We love America.', 'America prevailed.', 'Today is fine.'])).toEqual(new Set(['America']));
  });

  it('breaks names at punctuation and possessives, and drops runs of more than four words', () => {
    expect(pick(sentenceCandidates("We thank France, Germany and Italy for Germany's help.", new Set()))).toEqual([
      'name:France',
      'name:Germany',
      'name:Italy',
      'name:Germany',
    ]);
    expect(pick(sentenceCandidates('He visited New York\u2019s harbor and the nation\u2019s capital.', new Set()))).toEqual([
      'word:visited',
      'name:New York',
      'word:harbor',
      'word:nation',
      'word:capital',
    ]);
    expect(pick(sentenceCandidates('We met the United States Federal Reserve Board Chairman today.', new Set()))).toEqual([]);
  });
});

describe('windows', () => {
  const words = (n: number) => Array.from({ length: n }, () => 'w').join(' ');
  it('are non-overlapping runs of at most windowWords words and at least three sentences', () => {
    // A sentence longer than a window is skipped.
    expect(sentenceWindows([10, 10, 10, 200, 5, 5, 5, 5].map(words), 30)).toEqual([
      [0, 3],
      [4, 8],
    ]);
    // Runs of one or two sentences are dropped.
    expect(sentenceWindows([10, 25, 10, 10, 10].map(words), 30)).toEqual([[2, 5]]);
  });
});

describe('cloze questions from a hand-made speech', () => {
  const A = 'The delegates from Ohio spoke first at the meeting.';
  const B = 'Later the delegates from Texas answered them.';
  const C = 'Everyone agreed that Ohio had made the stronger case, and Ohio won.';
  const doc = { id: 'doc', sentences: [A, B, C] };

  it('blanks the one valid name and removes its sentence from the context', () => {
    // Names: Ohio (A, C twice), Texas (B). Only (A, Ohio) is valid: Texas has no second occurrence, and C holds
    // Ohio twice (the question would show the answer).
    const [x] = clozeExamples(doc, { ...SETTINGS, answerTypes: ['name'] }, new Rng(1));
    const context = `${B} ${C}`;
    const first = context.indexOf('Ohio');
    const second = context.indexOf('Ohio', first + 1);
    expect(x).toEqual({
      id: 'doc/0',
      question: `The delegates from ${CLOZE_BLANK} spoke first at the meeting.`,
      context,
      answers: [
        { text: 'Ohio', start: first },
        { text: 'Ohio', start: second },
      ],
      speech: 'doc',
      answerType: 'name',
    });
  });

  it('needs a distractor of the same type in the context', () => {
    // Without Texas in B, "Ohio" is the only name of the context: no valid name question.
    const noDistractor = { id: 'doc', sentences: [A, 'Later the delegates from abroad answered them.', C] };
    expect(clozeExamples(noDistractor, { ...SETTINGS, answerTypes: ['name'] }, new Rng(1))).toEqual([]);
  });

  it('picks among the valid pairs with the window RNG', () => {
    // Words: "delegates" is valid from A (gold in B) and from B (gold in A); the others occur once.
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const [x] = clozeExamples(doc, { ...SETTINGS, answerTypes: ['word'] }, new Rng(seed));
      expect(x.answers.map((a) => a.text)).toEqual(['delegates']);
      expect(x.context.slice(x.answers[0].start, x.answers[0].start + 9)).toBe('delegates');
      seen.add(x.question);
      // The same seed gives the same question.
      expect(clozeExamples(doc, { ...SETTINGS, answerTypes: ['word'] }, new Rng(seed))).toEqual([x]);
    }
    expect(seen).toEqual(new Set([A.replace('delegates', CLOZE_BLANK), B.replace('delegates', CLOZE_BLANK)]));
  });
});

/** Checks every property of the construction against the speech the example came from. */
const evidence = new Map<string, Set<string>>();
const windowsOf = new Map<string, [number, number][]>();

function checkExample(x: ClozeExample, corpus: Corpus, settings: ClozeSettings): void {
  const doc = corpus.documents.find((d) => d.id === x.speech);
  expect(doc, x.id).toBeDefined();
  const sentences = (doc as Corpus['documents'][number]).sentences;
  const start = Number(x.id.slice(x.id.lastIndexOf('/') + 1));
  if (!windowsOf.has(x.speech)) windowsOf.set(x.speech, sentenceWindows(sentences, settings.windowWords));
  const window = windowsOf.get(x.speech)?.find(([s]) => s === start) as [number, number];
  expect(window, x.id).toBeDefined();
  const ws = sentences.slice(window[0], window[1]);
  const original = clozeQuestionSentence(x);
  const q = ws.indexOf(original);
  expect(q, x.id).toBeGreaterThanOrEqual(0);
  // The question: one blank, the answer nowhere else in it; the context: the window without the question sentence.
  expect(x.question.split(CLOZE_BLANK).length - 1, x.id).toBe(1);
  expect(x.question.includes(x.answers[0].text), x.id).toBe(false);
  expect(x.context, x.id).toBe(ws.filter((_, k) => k !== q).join(' '));
  expect(x.context.includes(original), x.id).toBe(false);
  expect(x.context.split(/\s+/).length, x.id).toBeLessThanOrEqual(settings.windowWords);
  // Gold answers: every occurrence as a candidate of the same type, at its offsets; a distractor exists.
  expect(x.answers.length, x.id).toBeGreaterThan(0);
  if (!evidence.has(x.speech)) evidence.set(x.speech, properNounEvidence(sentences));
  const properNouns = evidence.get(x.speech) as Set<string>;
  let offset = 0;
  const golds: { text: string; start: number }[] = [];
  let distractors = 0;
  ws.forEach((s, k) => {
    if (k === q) return;
    for (const c of sentenceCandidates(s, properNouns)) {
      if (c.type !== x.answerType) continue;
      if (c.text === x.answers[0].text) golds.push({ text: c.text, start: offset + c.start });
      else distractors++;
    }
    offset += s.length + 1;
  });
  expect(x.answers, x.id).toEqual(golds);
  for (const a of x.answers) expect(x.context.slice(a.start, a.start + a.text.length)).toBe(a.text);
  expect(distractors, x.id).toBeGreaterThan(0);
}

describe('sotu-cloze on the real corpus', () => {
  let corpus: Corpus;
  let splits: ClozeSplits;
  beforeAll(async () => {
    corpus = loadSotu();
    const options = resolveQaOptions({});
    if (options.dataset !== 'sotu-cloze') throw new Error('the default data set is sotu-cloze');
    splits = await new SotuClozeTask(options, () => corpus).load();
  });

  it('has the default caps and every answer type, with short contexts', () => {
    expect([splits.train.length, splits.dev.length, splits.test.length]).toEqual([3000, 300, 500]);
    for (const part of [splits.train, splits.dev, splits.test]) {
      expect(new Set(part.map((x) => x.answerType))).toEqual(new Set(CLOZE_ANSWER_TYPES));
      expect(new Set(part.map((x) => x.id)).size).toBe(part.length);
    }
    expect(corpus.documents.length).toBe(233);
    expect(splits.speeches.test.length).toBe(23);
    expect(splits.speeches.dev.length).toBe(23);
    expect(splits.speeches.train.length).toBe(187);
  });

  it('builds every test and dev question as documented', () => {
    for (const x of [...splits.test, ...splits.dev]) checkExample(x, corpus, SETTINGS);
    for (const x of splits.train.slice(0, 100)) checkExample(x, corpus, SETTINGS);
  });

  it('does not leak speeches or question sentences across splits', () => {
    const { train, dev, test } = splits.speeches;
    const all = [...train, ...dev, ...test];
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all)).toEqual(new Set(corpus.documents.map((d) => d.id)));
    for (const [part, ids] of [
      ['train', train],
      ['dev', dev],
      ['test', test],
    ] as const)
      for (const x of splits[part]) expect(ids).toContain(x.speech);
    const sentencesOf = (ids: string[]) => new Set(corpus.documents.filter((d) => ids.includes(d.id)).flatMap((d) => d.sentences));
    const earlier = sentencesOf([...train, ...dev]);
    for (const x of splits.test) expect(earlier.has(clozeQuestionSentence(x)), x.id).toBe(false);
    const trainSentences = sentencesOf(train);
    for (const x of splits.dev) expect(trainSentences.has(clozeQuestionSentence(x)), x.id).toBe(false);
  });

  it('is deterministic given splitSeed; caps take a growing prefix; another seed gives other splits', () => {
    // A smaller corpus (the addresses of 1990-2021) keeps this quick.
    const modern = corpus.documents.filter((d) => Number(d.id.slice(0, 4)) >= 1990);
    const options = { settings: SETTINGS, split: { dev: 0.15, test: 0.15 }, caps: { train: 200, dev: 20, test: 30 }, splitSeed: 13 };
    const a = clozeSplits(modern, options);
    expect(a.test.length).toBe(30);
    // Same seed, documents in another order: the same splits.
    expect(clozeSplits([...modern].reverse(), options)).toEqual(a);
    const more = clozeSplits(modern, { ...options, caps: { train: 400, dev: 40, test: null } });
    expect(more.test.length).toBeGreaterThan(30);
    expect(more.test.slice(0, 30)).toEqual(a.test);
    expect(more.train.slice(0, 200)).toEqual(a.train);
    const other = clozeSplits(modern, { ...options, splitSeed: 14 });
    expect(new Set(other.speeches.test)).not.toEqual(new Set(a.speeches.test));
  });
});

describe('trivial baselines', () => {
  it('answer by position or frequency only (hand-checked)', () => {
    const x = {
      id: 'x',
      question: `The people of Ohio thank ${CLOZE_BLANK} today.`,
      context: 'The Congress met. Ohio and Texas agreed. Ohio, Texas and Ohio vote. Texas wins.',
      answers: [{ text: 'Texas', start: 27 }],
    };
    expect(firstCapitalised(x)).toBe('The');
    // Names: Congress 1, Ohio 3, Texas 3 (tie: the earlier one); "agreed" is the only content word.
    expect(mostFrequentCandidate(x)).toBe('Ohio');
    // Ohio is in the question, so it cannot be the answer.
    expect(mostFrequentNotInQuestion(x)).toBe('Texas');
    expect(x.context.slice(27, 32)).toBe('Texas');
  });

  it('neighbourMatch picks the candidate whose neighbours match the words around the blank', () => {
    const x = { id: 'y', question: `We must help the ${CLOZE_BLANK} of Ohio now.`, context: 'The farmers of Ohio work hard. The workers of Texas rest.', answers: [] };
    // farmers: "the" left, "of Ohio" right -> 3; workers: "the" | "of" -> 2; Ohio, Texas -> 0.
    expect(neighbourMatch(x)).toBe('farmers');
    expect(neighbourMatch({ ...x, question: 'No blank here.' })).toBe('');
  });
});
