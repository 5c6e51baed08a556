import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFSET_SEARCH_CHARS, locateAnswer, parseSquad, readSquadFile } from './index';

const CONTEXT_A = 'Super Bowl 50 was an American football game. The Denver Broncos defeated the Carolina Panthers 24-10.';
const CONTEXT_B = 'Paris is the capital of France.  The  Seine flows through Paris.';

/** A small valid SQuAD 1.1 document; tests copy and break it. */
function validV11(): Record<string, unknown> {
  return {
    version: '1.1',
    data: [
      {
        title: 'Super_Bowl_50',
        paragraphs: [
          {
            context: CONTEXT_A,
            qas: [
              {
                id: 'q1',
                question: 'Which team won Super Bowl 50?',
                answers: [
                  { text: 'Denver Broncos', answer_start: CONTEXT_A.indexOf('Denver Broncos') },
                  { text: 'The Denver Broncos', answer_start: CONTEXT_A.indexOf('The Denver') },
                ],
              },
              { id: 'q2', question: 'What was the score?', answers: [{ text: '24-10', answer_start: CONTEXT_A.indexOf('24-10') }] },
            ],
          },
        ],
      },
      {
        title: 'Paris',
        paragraphs: [
          {
            context: CONTEXT_B,
            qas: [
              // Offset 2 characters too early: repaired to the occurrence nearby.
              { id: 'q3', question: 'Capital of what?', answers: [{ text: 'France', answer_start: CONTEXT_B.indexOf('France') - 2 }] },
              // Single space in the answer, double spaces in the context: repaired to the context's text.
              { id: 'q4', question: 'What flows through Paris?', answers: [{ text: 'The Seine', answer_start: CONTEXT_B.indexOf('The  Seine') }] },
            ],
          },
        ],
      },
    ],
  };
}

function validV20(): Record<string, unknown> {
  return {
    version: 'v2.0',
    data: [
      {
        title: 'Paris',
        paragraphs: [
          {
            context: CONTEXT_B,
            qas: [
              { id: 'p1', question: 'Capital of what?', answers: [{ text: 'France', answer_start: 24 }], is_impossible: false },
              {
                id: 'p2',
                question: 'What is the capital of Spain?',
                answers: [],
                is_impossible: true,
                plausible_answers: [{ text: 'Paris', answer_start: 0 }],
              },
            ],
          },
        ],
      },
    ],
  };
}

/** JSON path of question q of paragraph p of article a. */
const Q = (a: number, p: number, q: number) => ['data', a, 'paragraphs', p, 'qas', q];

describe('SQuAD files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssbench-squad-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = async (name: string, doc: unknown) => {
    const file = join(dir, name);
    await writeFile(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return file;
  };

  it('reads a valid v1.1 file, with exact offsets (two repaired)', async () => {
    const f = readSquadFile(await write('train-v1.1.json', validV11()), '1.1');
    expect(f.articles).toBe(2);
    expect(f.examples.map((e) => e.id)).toEqual(['q1', 'q2', 'q3', 'q4']);
    expect(f.examples.map((e) => e.article)).toEqual([0, 0, 1, 1]);
    expect(f.examples[0]).toMatchObject({ title: 'Super_Bowl_50', context: CONTEXT_A, question: 'Which team won Super Bowl 50?', impossible: false });
    for (const e of f.examples) for (const a of e.answers) expect(e.context.slice(a.start, a.start + a.text.length)).toBe(a.text);
    expect(f.examples[0].answers).toEqual([
      { text: 'Denver Broncos', start: 49 },
      { text: 'The Denver Broncos', start: 45 },
    ]);
    expect(f.examples[2].answers).toEqual([{ text: 'France', start: 24 }]);
    expect(f.examples[3].answers).toEqual([{ text: 'The  Seine', start: 33 }]);
    expect(f.offsetRepairs).toBe(2);
  });

  it('reads a valid v2.0 file: unanswerable questions have no answers', async () => {
    const f = readSquadFile(await write('dev-v2.0.json', validV20()), '2.0');
    expect(f.examples.map((e) => [e.id, e.impossible, e.answers.length])).toEqual([
      ['p1', false, 1],
      ['p2', true, 0],
    ]);
    expect(f.offsetRepairs).toBe(0);
  });

  it('locates answers near a wrong offset, and only near it', () => {
    const ctx = `${'x'.repeat(100)} answer ${'y'.repeat(100)} answer`;
    expect(locateAnswer(ctx, 'answer', 101)).toEqual({ text: 'answer', start: 101 });
    expect(locateAnswer(ctx, 'answer', 95)).toEqual({ text: 'answer', start: 101 });
    // The nearer of two occurrences.
    expect(locateAnswer(ctx, 'answer', 205)).toEqual({ text: 'answer', start: 209 });
    // Too far from both occurrences.
    expect(locateAnswer(ctx, 'answer', 101 - OFFSET_SEARCH_CHARS - 1)).toBeNull();
    expect(locateAnswer('New\u00a0York is big', 'New York', 0)).toEqual({ text: 'New\u00a0York', start: 0 });
    expect(locateAnswer('nothing here', 'absent', 0)).toBeNull();
  });

  /**
   * Each malformed case: a patch to a valid document (the JSON path of the value to replace, and the new value;
   * DELETE removes it) and the error it must give (file, pointer, reason).
   */
  const DELETE = Symbol('delete');
  const malformed: [string, '1.1' | '2.0', (string | number)[], unknown, RegExp][] = [
    ['not an object', '1.1', [], [1, 2], /: \/: expected a JSON object/],
    ['data not an array', '1.1', ['data'], {}, /: \/data: expected "data" to be an array/],
    ['version mismatch', '1.1', ['version'], 'v2.0', /: \/version: file says version "v2\.0", but the task is configured for SQuAD 1\.1/],
    ['article not an object', '1.1', ['data', 1], 'x', /: \/data\/1: expected an article object/],
    ['title missing', '1.1', ['data', 1, 'title'], DELETE, /: \/data\/1\/title: "title" must be a string, got undefined/],
    ['paragraphs missing', '1.1', ['data', 0, 'paragraphs'], DELETE, /: \/data\/0\/paragraphs: "paragraphs" must be an array/],
    ['empty context', '1.1', ['data', 1, 'paragraphs', 0, 'context'], '  ', /: \/data\/1\/paragraphs\/0\/context: "context" must be a non-empty string/],
    ['qas missing', '1.1', ['data', 1, 'paragraphs', 0, 'qas'], DELETE, /: \/data\/1\/paragraphs\/0\/qas: "qas" must be an array/],
    ['id missing', '1.1', [...Q(0, 0, 1), 'id'], DELETE, /: \/data\/0\/paragraphs\/0\/qas\/1\/id: "id" must be a non-empty string, got undefined/],
    [
      'duplicate id',
      '1.1',
      [...Q(1, 0, 1), 'id'],
      'q1',
      /: \/data\/1\/paragraphs\/0\/qas\/1\/id: duplicate question id "q1" \(first at \/data\/0\/paragraphs\/0\/qas\/0\)/,
    ],
    ['empty question', '1.1', [...Q(0, 0, 1), 'question'], '', /: \/data\/0\/paragraphs\/0\/qas\/1\/question: "question" must be a non-empty string/],
    ['answers not an array', '1.1', [...Q(0, 0, 0), 'answers'], 'Denver', /: \/data\/0\/paragraphs\/0\/qas\/0\/answers: "answers" must be an array/],
    ['no answers in v1.1', '1.1', [...Q(1, 0, 0), 'answers'], [], /: \/data\/1\/paragraphs\/0\/qas\/0\/answers: no answers/],
    ['impossible in v1.1', '1.1', [...Q(1, 0, 0), 'is_impossible'], true, /\/qas\/0\/is_impossible: SQuAD 1\.1 has no unanswerable questions/],
    ['answer not an object', '1.1', [...Q(0, 0, 0), 'answers', 1], 'x', /\/qas\/0\/answers\/1: expected an answer object/],
    ['empty answer text', '1.1', [...Q(0, 0, 1), 'answers', 0, 'text'], '', /\/qas\/1\/answers\/0\/text: answer "text" must be a non-empty string/],
    [
      'negative answer_start',
      '1.1',
      [...Q(0, 0, 1), 'answers', 0, 'answer_start'],
      -1,
      /\/qas\/1\/answers\/0\/answer_start: "answer_start" must be a non-negative integer, got -1/,
    ],
    [
      'fractional answer_start',
      '1.1',
      [...Q(0, 0, 1), 'answers', 0, 'answer_start'],
      2.5,
      /\/answers\/0\/answer_start: "answer_start" must be a non-negative integer, got 2\.5/,
    ],
    [
      'answer not in the context',
      '1.1',
      [...Q(0, 0, 0), 'answers', 1, 'text'],
      'Seattle Seahawks',
      /: \/data\/0\/paragraphs\/0\/qas\/0\/answers\/1\/answer_start: answer "Seattle Seahawks" is not at answer_start 45 \(context there: "The Denver Bronc"\) nor within 64 characters of it/,
    ],
    [
      'impossible with answers (v2.0)',
      '2.0',
      [...Q(0, 0, 1), 'answers'],
      [{ text: 'Paris', answer_start: 0 }],
      /\/qas\/1\/answers: an unanswerable question \(is_impossible\) must have no answers, got 1/,
    ],
    ['possible without answers (v2.0)', '2.0', [...Q(0, 0, 0), 'answers'], [], /\/qas\/0\/answers: no answers, but is_impossible is not true/],
    ['is_impossible not a boolean (v2.0)', '2.0', [...Q(0, 0, 1), 'is_impossible'], 'yes', /\/qas\/1\/is_impossible: "is_impossible" must be a boolean, got "yes"/],
    [
      'bad plausible answer (v2.0)',
      '2.0',
      [...Q(0, 0, 1), 'plausible_answers'],
      [{ text: 'Paris' }],
      /\/qas\/1\/plausible_answers\/0\/answer_start: "answer_start" must be a non-negative integer, got undefined/,
    ],
  ];

  /** A copy of `doc` with the value at `path` replaced (or deleted). */
  function patch(doc: unknown, path: readonly (string | number)[], value: unknown): unknown {
    if (path.length === 0) return value;
    const copy = structuredClone(doc) as Record<string | number, unknown>;
    let at = copy;
    for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
    const last = path[path.length - 1];
    if (value === DELETE) delete at[last];
    else at[last] = value;
    return copy;
  }

  for (const [name, version, path, value, error] of malformed) {
    it(`rejects: ${name}`, async () => {
      const doc = patch(version === '1.1' ? validV11() : validV20(), path, value);
      const file = await write(`bad-${name.replace(/\W+/g, '-')}.json`, doc);
      let err: unknown;
      try {
        readSquadFile(file, version);
      } catch (e) {
        err = e;
      }
      expect(err, name).toMatchObject({ name: 'SsbenchError', code: 'data', file });
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toMatch(error);
    });
  }

  it('rejects unreadable and non-JSON files with the file name', async () => {
    expect(() => readSquadFile(join(dir, 'absent.json'), '1.1')).toThrow(/absent\.json: cannot read SQuAD file \(ENOENT\)/);
    const broken = await write('broken.json', '{"version": "1.1", "data": [');
    expect(() => readSquadFile(broken, '1.1')).toThrow(/broken\.json: invalid JSON/);
  });

  it('parses an already-parsed document (no file read) with the same checks', () => {
    expect(parseSquad(validV20(), 'mem.json', '2.0').examples).toHaveLength(2);
    expect(() => parseSquad(validV20(), 'mem.json', '1.1')).toThrow(/mem\.json: \/version: .*SQuAD 1\.1/);
  });
});
