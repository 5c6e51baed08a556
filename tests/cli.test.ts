/**
 * The command line's own surface: `ssbench list` (bundled plugins, which backend devices can run here and why
 * not), `ssbench --help`, an unknown command, and `ssbench report` on a file that is not there.
 */
import { describe, test } from 'vitest';
import { BUNDLED_PLUGINS } from '../packages/runner/src/index';
import { fixture, ssbench, stackTraceLines } from './helpers';

describe.concurrent('ssbench list', () => {
  test('names every bundled plugin and says which backend devices are unavailable, and why', async ({ expect }) => {
    const r = await ssbench(['list']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    for (const name of BUNDLED_PLUGINS) expect(lines.some((l) => new RegExp(`^\\w+\\s+${name}@\\d+\\.\\d+\\.\\d+`).test(l))).toBe(true);
    for (const kind of ['backend', 'model', 'objective', 'task']) expect(r.stdout).toMatch(new RegExp(`^${kind}\\s+@ssbench/`, 'm'));

    // Every device line is "available (version)" or "unavailable: reason".
    const devices = lines.filter((l) => /^\s+(device|executionProvider)=/.test(l));
    expect(devices.length).toBeGreaterThanOrEqual(6);
    for (const l of devices) expect(l).toMatch(/^\s+\w+=[\w-]+: (available \(.+\)|unavailable: .{10,})$/);
    // The stock install has the CPU runtimes, and not tfjs-node(-gpu) nor onnxruntime's CUDA provider.
    expect(r.stdout).toMatch(/^\s+device=cpu: available \(/m);
    expect(r.stdout).toMatch(/^\s+device=wasm: available \(/m);
    expect(r.stdout).toMatch(/^\s+executionProvider=cpu: available \(/m);
    expect(r.stdout).toMatch(/^\s+device=node: unavailable: .*@tensorflow\/tfjs-node\b/m);
    expect(r.stdout).toMatch(/^\s+device=node-gpu: unavailable: .*@tensorflow\/tfjs-node-gpu\b/m);
    expect(r.stdout).toMatch(/^\s+executionProvider=cuda: unavailable: .*cuda/im);
  });
});

describe.concurrent('help and mistakes on the command line', () => {
  test('ssbench --help lists the commands', async ({ expect }) => {
    const r = await ssbench(['--help']);
    expect(r.status, r.stderr).toBe(0);
    for (const cmd of ['run <config>', 'validate <config>', 'plan <config>', 'list', 'bench [config]', 'report <results>', 'schema'])
      expect(r.stdout).toContain(`ssbench ${cmd}`);
    expect(r.stdout).toContain('Usage: ssbench <command> [options]');
  });

  test('ssbench run --help explains its options', async ({ expect }) => {
    const r = await ssbench(['run', '--help']);
    expect(r.status, r.stderr).toBe(0);
    for (const opt of ['--output', '--cache', '--report']) expect(r.stdout).toContain(opt);
  });

  test('an unknown command exits non-zero and says so', async ({ expect }) => {
    const r = await ssbench(['frobnicate']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Unknown command: frobnicate');
    expect(r.stderr).toContain('Commands:'); // the help follows, listing the real ones
    expect(stackTraceLines(r.stderr)).toEqual([]);
  });

  test('a misspelt command gets a suggestion', async ({ expect }) => {
    const r = await ssbench(['valdiate', fixture('resume', 'config.json')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Did you mean validate?');
  });

  test('no command: exits non-zero naming the commands', async ({ expect }) => {
    const r = await ssbench([]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Name a command: run, validate, plan, list, data, bench, report, compare, merge, create-plugin or schema');
  });

  test('ssbench report on a missing file exits 2 naming it', async ({ expect }) => {
    const r = await ssbench(['report', 'tests/fixtures/no-such-results.jsonl']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('ssbench: tests/fixtures/no-such-results.jsonl: results file not found: tests/fixtures/no-such-results.jsonl');
    expect(r.stdout).toBe('');
  });
});
