/**
 * The published config schema: `schema.json` at the repository root is what `publishedSchema()` generates
 * (regenerate it with `pnpm ssbench schema --out schema.json`), every config in configs/ loads, and a plain
 * JSON Schema validator (ajv, as editors use it) accepts them with the published schema. It also agrees with
 * `ssbench validate` on the test fixtures: the valid ones pass, the schema-level mistakes fail at the same pointer.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadExperiment, publishedSchema, schemaText } from '../packages/runner/src/index';
import { ROOT, fixture } from './helpers';

/** The parts of ajv's API used here (ajv is a dependency of @ssbench/core, not of the repository root). */
interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
}
type ValidateFn = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
type AjvClass = new (options: Record<string, unknown>) => { compile: (schema: unknown) => ValidateFn };
const requireFromCore = createRequire(join(ROOT, 'packages', 'core', 'package.json'));
const Ajv = (requireFromCore('ajv') as { default: AjvClass }).default;

const readJson = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as unknown;
const CONFIGS = readdirSync(join(ROOT, 'configs'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => join('configs', f));

let validate: ValidateFn;
beforeAll(() => {
  // Defaults off: the schema must accept the configs as written, not after filling them in.
  validate = new Ajv({ allErrors: true, strict: false, useDefaults: false }).compile(readJson('schema.json'));
});

test('schema.json is in sync with publishedSchema() (regenerate: pnpm ssbench schema --out schema.json)', async () => {
  const committed = readFileSync(join(ROOT, 'schema.json'), 'utf8');
  expect(committed).toBe(schemaText(await publishedSchema()));
});

test('there are example configs, and each points editors at the schema', () => {
  expect(CONFIGS).toContain(join('configs', 'quickstart.json'));
  for (const c of CONFIGS) expect((readJson(c) as { $schema?: string }).$schema).toBe('../schema.json');
});

describe.each(CONFIGS)('%s', (config) => {
  test('loads (loadExperiment: core schema, plugins, their options, data files)', async () => {
    const exp = await loadExperiment(join(ROOT, config));
    expect(exp.models.length).toBeGreaterThan(0);
    expect(exp.tasks.length).toBeGreaterThan(0);
    expect(exp.backends.length).toBeGreaterThan(0);
  });

  test('validates against the published schema with ajv', () => {
    const ok = validate(readJson(config));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });
});

describe('the published schema agrees with ssbench validate on the test fixtures', () => {
  test.each(['run-tiny', 'resume', 'parity', 'foreign-results'])('%s: valid', (name) => {
    const ok = validate(readJson(fixture(name, 'config.json')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test.each([
    ['property-typo', '/pretraining/0', 'additionalProperties'],
    ['wrong-type', '/models/0/options/hiddenSize', 'type'],
    ['out-of-range', '/pretraining/0/steps', 'minimum'],
    ['plugin-option', '/models/0/options/numLayers', 'minimum'],
  ])('%s: rejected at %s (%s)', (name, pointer, keyword) => {
    expect(validate(readJson(fixture('config-errors', name, 'config.json')))).toBe(false);
    expect(validate.errors?.some((e) => e.instancePath === pointer && e.keyword === keyword)).toBe(true);
  });
});
