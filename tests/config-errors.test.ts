/**
 * A user's mistakes in a config (or its data file) stop `ssbench validate` and `ssbench run` with exit status 2
 * and one message that names the file, the JSON pointer (or line and column) and what was expected, without a
 * stack trace and without writing anything. Fixtures: tests/fixtures/config-errors/<case>/config.json, each a
 * valid tiny config with one mistake; tests/fixtures/foreign-results/.
 */
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type ExpectStatic, afterAll, describe, expect, test } from 'vitest';
import { type CliResult, ROOT, fixture, ssbench, stackTraceLines, tempDirs } from './helpers';

const tmp = tempDirs('config-errors');
afterAll(() => tmp.cleanup());

interface Case {
  /** Folder under tests/fixtures/config-errors (the config is its config.json). */
  name: string;
  config?: string;
  /** Where the message must point: a JSON pointer, or `:line:column` after the file name. */
  pointer?: string;
  line?: number;
  column?: number;
  /** Text the message must contain (what was expected, suggestions). */
  says: (string | RegExp)[];
}

const CASES: Case[] = [
  {
    name: 'property-typo',
    pointer: '/pretraining/0/batchSzie',
    says: ['unknown property "batchSzie"', 'did you mean "batchSize"?'],
  },
  {
    name: 'wrong-type',
    pointer: '/models/0/options/hiddenSize',
    says: ['expected an integer, got "128"'],
  },
  {
    name: 'out-of-range',
    pointer: '/pretraining/0/steps',
    says: ['expected an integer >= 1, got 0'],
  },
  {
    name: 'unknown-plugin',
    pointer: '/models/0/plugin',
    says: ['"@ssbench/model-bret"', 'did you mean "@ssbench/model-bert"?'],
  },
  {
    name: 'plugin-option',
    pointer: '/models/0/options/numLayers',
    says: ['@ssbench/model-bert', 'expected an integer >= 1, got 0'],
  },
  {
    name: 'missing-corpus',
    pointer: '/pretraining/0/corpus/path',
    says: ['corpus file not found', join('missing-corpus', 'missing.txt')],
  },
  {
    name: 'json-syntax',
    line: 3,
    column: 18,
    says: ['invalid JSON', 'trailing comma'],
  },
  {
    name: 'missing-config',
    config: fixture('config-errors', 'missing-config', 'no-such-config.json'),
    says: ['config file not found', 'no-such-config.json'],
  },
];

/** The checks every config error must pass, whichever command found it. */
function expectOneUsableMessage(expect: ExpectStatic, r: CliResult, c: Case, configPath: string): void {
  expect(r.status, r.stderr).toBe(2);
  expect(r.signal).toBeNull();
  expect(stackTraceLines(r.stderr)).toEqual([]);
  const lines = r.stderr.trimEnd().split('\n');
  // One message: a first line "ssbench: <file>...", then (for schema errors) indented lines, one per problem.
  expect(lines[0]).toMatch(/^ssbench: /);
  expect(lines.slice(1).every((l) => l.startsWith('  '))).toBe(true);
  expect(r.stderr).toContain(configPath);
  if (c.pointer !== undefined) expect(r.stderr).toContain(`${configPath}: ${c.pointer}: `);
  if (c.line !== undefined) expect(r.stderr).toContain(`${configPath}:${c.line}:${c.column}: `);
  for (const s of c.says) {
    if (typeof s === 'string') expect(r.stderr).toContain(s);
    else expect(r.stderr).toMatch(s);
  }
}

describe.concurrent.each(CASES)('config error: $name', (c) => {
  const config = c.config ?? fixture('config-errors', c.name, 'config.json');

  test('ssbench validate exits 2 with one message naming the file and where', async ({ expect }) => {
    const r = await ssbench(['validate', config]);
    expectOneUsableMessage(expect, r, c, config);
    expect(r.stdout).toBe('');
  });

  test('ssbench run exits 2 with the same message and writes nothing', async ({ expect }) => {
    const out = join(tmp.make(c.name), 'out');
    const cache = join(tmp.make(c.name), 'cache');
    const r = await ssbench(['run', config, '--output', out, '--cache', cache]);
    expectOneUsableMessage(expect, r, c, config);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(cache)).toBe(false);
  });
});

test('a results directory holding results of a different config: run refuses with status 2 and leaves the file alone', async () => {
  const out = tmp.make('foreign');
  const results = join(out, 'results.jsonl');
  copyFileSync(join(ROOT, fixture('foreign-results', 'results.jsonl')), results);
  const before = readFileSync(results);
  const mtime = statSync(results).mtimeMs;
  const config = fixture('foreign-results', 'config.json');

  const r = await ssbench(['run', config, '--output', out, '--cache', join(tmp.make('foreign'), 'cache')]);

  expect(r.status, r.stderr).toBe(2);
  expect(stackTraceLines(r.stderr)).toEqual([]);
  expect(r.stderr).toMatch(/^ssbench: /m);
  expect(r.stderr).toContain(results);
  expect(r.stderr).toContain('different');
  expect(r.stderr).toContain('--output');
  expect(readFileSync(results).equals(before)).toBe(true);
  expect(statSync(results).mtimeMs).toBe(mtime);
  expect(readdirSync(out)).toEqual(['results.jsonl']); // no report.md, no temporary files

  // `ssbench plan` does not count the other config's cells as done (its pretraining cell has the same coordinates).
  const plan = await ssbench(['plan', config, '--output', out]);
  expect(plan.status, plan.stderr).toBe(0);
  expect(plan.stdout).toContain('pretrain bert-t mlm-nsp on ort-cpu (seed 1)');
  expect(plan.stdout).not.toContain('[done]');
});
