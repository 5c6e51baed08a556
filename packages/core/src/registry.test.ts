import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPathSpec, type PluginBase, PluginRegistry, pluginShapeProblems, resolvePluginSpec } from './registry';
import { caught, caughtAsync } from './testkit';

const bert: PluginBase = { kind: 'model', name: '@ssbench/model-bert', version: '0.1.0', optionsSchema: { type: 'object' } };
const gpt: PluginBase = { kind: 'model', name: '@ssbench/model-gpt', version: '0.1.0' };
const ort: PluginBase = { kind: 'backend', name: '@ssbench/backend-onnxruntime' };

describe('PluginRegistry: register and get', () => {
  it('registers and returns plugins by kind and name', () => {
    const reg = new PluginRegistry();
    expect(reg.register(bert)).toBe(bert);
    reg.register(gpt);
    reg.register(ort);
    expect(reg.get('model', '@ssbench/model-bert')).toBe(bert);
    expect(reg.get('backend', '@ssbench/backend-onnxruntime')).toBe(ort);
    expect(reg.has('model', '@ssbench/model-gpt')).toBe(true);
    expect(reg.has('backend', '@ssbench/model-gpt')).toBe(false);
    expect(reg.list('model')).toEqual([bert, gpt]);
    expect(reg.list()).toEqual([ort, bert, gpt]); // by kind order: backend, model, objective, task
    expect(reg.names('backend')).toEqual(['@ssbench/backend-onnxruntime']);
  });

  it('registries are independent instances', () => {
    const a = new PluginRegistry();
    const b = new PluginRegistry();
    a.register(bert);
    expect(b.has('model', bert.name)).toBe(false);
    expect(() => b.register(bert)).not.toThrow();
  });

  it('a duplicate name of the same kind throws; the same name of another kind does not', () => {
    const reg = new PluginRegistry();
    reg.register(bert);
    const err = caught(() => reg.register({ kind: 'model', name: '@ssbench/model-bert' }));
    expect(err.code).toBe('plugin');
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/duplicate model plugin "@ssbench\/model-bert"/);
    expect(() => reg.register({ kind: 'task', name: '@ssbench/model-bert' })).not.toThrow();
  });

  it('an unknown name throws with close registered names', () => {
    const reg = new PluginRegistry();
    reg.register(bert);
    reg.register(gpt);
    reg.register(ort);
    const err = caught(() => reg.get('model', '@ssbench/model-brt'));
    expect(err.code).toBe('plugin');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('unknown model plugin "@ssbench/model-brt"');
    expect(err.hint).toBe('did you mean "@ssbench/model-bert"?');
    expect(err.message).toContain('(did you mean "@ssbench/model-bert"?)');
    // Backends are not offered for a model.
    expect(err.message).not.toContain('did you mean "@ssbench/backend');
    const none = caught(() => new PluginRegistry().get('task', 'x'));
    expect(none.message).toContain('no task plugins are registered');
    expect(none.hint).toBeUndefined();
  });

  it('rejects objects that are not plugins', () => {
    const reg = new PluginRegistry();
    expect(() => reg.register({ kind: 'widget', name: 'x' } as unknown as PluginBase)).toThrow(/"kind" must be one of/);
    expect(() => reg.register({ kind: 'model', name: '' })).toThrow(/"name" must be a non-empty string/);
  });

  it('pluginShapeProblems lists every problem', () => {
    expect(pluginShapeProblems({ kind: 'task', name: 'ok' })).toEqual([]);
    expect(pluginShapeProblems(null)).toEqual(['expected an object, got null']);
    expect(pluginShapeProblems([])).toEqual(['expected an object, got an array']);
    expect(pluginShapeProblems({ version: 1, optionsSchema: 'x' })).toEqual([
      '"kind" must be a string',
      '"name" must be a non-empty string',
      '"version" must be a string',
      '"optionsSchema" must be a JSON Schema object',
    ]);
  });

  it('isPathSpec tells paths from package names', () => {
    expect(isPathSpec('./x.js')).toBe(true);
    expect(isPathSpec('../x')).toBe(true);
    expect(isPathSpec('/abs/x.js')).toBe(true);
    expect(isPathSpec('@ssbench/model-bert')).toBe(false);
    expect(isPathSpec('ssbench-task-foo')).toBe(false);
  });
});

describe('PluginRegistry.load', () => {
  let dir: string;

  function write(rel: string, text: string): void {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ssbench-registry-'));
    // A local ESM plugin file.
    write('plugins/local-task.mjs', `export default { kind: 'task', name: 'local-task', version: '1.2.3', optionsSchema: { type: 'object' } };\n`);
    // A second file registering the same name.
    write('plugins/local-task-copy.mjs', `export default { kind: 'task', name: 'local-task' };\n`);
    // A package with "main" (ESM).
    write(
      'node_modules/ssbench-task-foo/package.json',
      JSON.stringify({ name: 'ssbench-task-foo', version: '0.3.0', type: 'module', main: 'index.js' }),
    );
    write('node_modules/ssbench-task-foo/index.js', `export default { kind: 'task', name: 'ssbench-task-foo', version: '0.3.0' };\n`);
    // A CommonJS package.
    write('node_modules/ssbench-model-cjs/package.json', JSON.stringify({ name: 'ssbench-model-cjs', main: 'lib.js' }));
    write('node_modules/ssbench-model-cjs/lib.js', `module.exports = { kind: 'model', name: 'cjs-model' };\n`);
    // A CommonJS package transpiled from ESM (exports.default).
    write('node_modules/ssbench-model-transpiled/package.json', JSON.stringify({ name: 'ssbench-model-transpiled' }));
    write(
      'node_modules/ssbench-model-transpiled/index.js',
      `Object.defineProperty(exports, '__esModule', { value: true });\nexports.default = { kind: 'model', name: 'transpiled-model' };\n`,
    );
    // A scoped ESM-only package whose exports have only an "import" condition (require.resolve cannot see it).
    write(
      'node_modules/@acme/ssbench-backend-esm/package.json',
      JSON.stringify({ name: '@acme/ssbench-backend-esm', type: 'module', exports: { '.': { import: './dist/index.js' } } }),
    );
    write('node_modules/@acme/ssbench-backend-esm/dist/index.js', `export default { kind: 'backend', name: 'acme-esm' };\n`);
    // Broken plugins.
    write('plugins/no-default.mjs', `export const plugin = { kind: 'task', name: 'x' };\n`);
    write('plugins/bad-shape.mjs', `export default { name: 'no-kind' };\n`);
    write('plugins/throws.mjs', `throw new Error('boom at import');\n`);
    write('plugins/a-model.mjs', `export default { kind: 'model', name: 'a-model' };\n`);
    write('node_modules/ssbench-task-nomain/package.json', JSON.stringify({ name: 'ssbench-task-nomain', main: 'missing.js' }));
    // A directory plugin with index.js.
    write('plugins/dir-plugin/index.js', `module.exports = { kind: 'objective', name: 'dir-objective' };\n`);
    // A sub-directory to resolve packages from (walks up to dir/node_modules).
    mkdirSync(path.join(dir, 'configs', 'nested'), { recursive: true });
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a local path plugin resolved against baseDir', async () => {
    const reg = new PluginRegistry();
    const p = await reg.load('./plugins/local-task.mjs', { baseDir: dir, kind: 'task' });
    expect(p).toMatchObject({ kind: 'task', name: 'local-task', version: '1.2.3' });
    expect(reg.get('task', 'local-task')).toBe(p);
    expect(reg.sourceOf('task', 'local-task')).toBe(path.join(dir, 'plugins', 'local-task.mjs'));
    // Also relative to a nested config directory, with "..".
    const reg2 = new PluginRegistry();
    const q = await reg2.load('../../plugins/local-task.mjs', { baseDir: path.join(dir, 'configs', 'nested'), kind: 'task' });
    expect(q.name).toBe('local-task');
    // And an absolute path.
    const reg3 = new PluginRegistry();
    expect((await reg3.load(path.join(dir, 'plugins', 'local-task.mjs'), { baseDir: '/' })).name).toBe('local-task');
  });

  it('loads a package by name from node_modules, walking up from baseDir', async () => {
    const reg = new PluginRegistry();
    const p = await reg.load('ssbench-task-foo', { baseDir: path.join(dir, 'configs', 'nested'), kind: 'task' });
    expect(p).toMatchObject({ kind: 'task', name: 'ssbench-task-foo', version: '0.3.0' });
    expect(reg.sourceOf('task', 'ssbench-task-foo')).toBe(path.join(dir, 'node_modules', 'ssbench-task-foo', 'index.js'));
  });

  it('loads CommonJS, transpiled and import-only packages, and directory plugins', async () => {
    const reg = new PluginRegistry();
    expect((await reg.load('ssbench-model-cjs', { baseDir: dir, kind: 'model' })).name).toBe('cjs-model');
    expect((await reg.load('ssbench-model-transpiled', { baseDir: dir, kind: 'model' })).name).toBe('transpiled-model');
    expect((await reg.load('@acme/ssbench-backend-esm', { baseDir: dir, kind: 'backend' })).name).toBe('acme-esm');
    expect((await reg.load('./plugins/dir-plugin', { baseDir: dir, kind: 'objective' })).name).toBe('dir-objective');
  });

  it('loading the same module twice returns the registered plugin; another module with the same name throws', async () => {
    const reg = new PluginRegistry();
    const a = await reg.load('./plugins/local-task.mjs', { baseDir: dir, kind: 'task' });
    const b = await reg.load(path.join(dir, 'plugins', 'local-task.mjs'), { baseDir: dir, kind: 'task' });
    expect(b).toBe(a);
    const err = await caughtAsync(reg.load('./plugins/local-task-copy.mjs', { baseDir: dir, kind: 'task' }));
    expect(err.code).toBe('plugin');
    expect(err.message).toContain('duplicate task plugin "local-task"');
    expect(err.message).toContain(path.join(dir, 'plugins', 'local-task.mjs'));
    expect(err.message).toContain(path.join(dir, 'plugins', 'local-task-copy.mjs'));
  });

  it('a symlinked path to an already loaded module is the same module', async () => {
    const link = path.join(dir, 'plugins', 'link-to-local-task.mjs');
    symlinkSync(path.join(dir, 'plugins', 'local-task.mjs'), link);
    const reg = new PluginRegistry();
    const a = await reg.load('./plugins/local-task.mjs', { baseDir: dir });
    expect(await reg.load('./plugins/link-to-local-task.mjs', { baseDir: dir })).toBe(a);
  });

  it('a missing package is a plugin error suggesting close known names', async () => {
    const reg = new PluginRegistry();
    const err = await caughtAsync(
      reg.load('@ssbench/task-sentimnt', {
        baseDir: dir,
        kind: 'task',
        knownNames: ['@ssbench/task-sentiment', '@ssbench/task-dna', '@ssbench/model-bert'],
      }),
    );
    expect(err.code).toBe('plugin');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(`plugin package "@ssbench/task-sentimnt" could not be found from ${dir}`);
    expect(err.hint).toBe('did you mean "@ssbench/task-sentiment"?');
    // No suggestion when nothing is close.
    const far = await caughtAsync(reg.load('zzz-unrelated', { baseDir: dir, knownNames: ['@ssbench/task-sentiment'] }));
    expect(far.hint).toBeUndefined();
  });

  it('already registered names are suggested too', async () => {
    const reg = new PluginRegistry();
    await reg.load('ssbench-task-foo', { baseDir: dir, kind: 'task' });
    const err = await caughtAsync(reg.load('ssbench-task-fo', { baseDir: dir, kind: 'task' }));
    expect(err.hint).toBe('did you mean "ssbench-task-foo"?');
  });

  it('a missing local file names the absolute path', async () => {
    const err = await caughtAsync(new PluginRegistry().load('./plugins/nope.mjs', { baseDir: dir }));
    expect(err.code).toBe('plugin');
    expect(err.message).toContain(`plugin file not found: ${path.join(dir, 'plugins', 'nope.mjs')}`);
  });

  it('a package whose main file is missing says so', async () => {
    const err = await caughtAsync(new PluginRegistry().load('ssbench-task-nomain', { baseDir: dir }));
    expect(err.code).toBe('plugin');
    expect(err.message).toContain('plugin package "ssbench-task-nomain" is installed but its entry point is missing');
  });

  it('a module without a default export, or with a malformed one, is rejected', async () => {
    const reg = new PluginRegistry();
    const noDefault = await caughtAsync(reg.load('./plugins/no-default.mjs', { baseDir: dir }));
    expect(noDefault.message).toContain('plugin "./plugins/no-default.mjs" does not default-export a plugin object');
    expect(noDefault.hint).toContain('no default export (named exports: plugin)');
    expect(noDefault.file).toBe(path.join(dir, 'plugins', 'no-default.mjs'));
    const bad = await caughtAsync(reg.load('./plugins/bad-shape.mjs', { baseDir: dir }));
    expect(bad.message).toContain('"kind" must be a string');
    expect(reg.list()).toEqual([]);
  });

  it('a module that throws at import is a plugin error with the cause', async () => {
    const err = await caughtAsync(new PluginRegistry().load('./plugins/throws.mjs', { baseDir: dir }));
    expect(err.code).toBe('plugin');
    expect(err.message).toContain('plugin "./plugins/throws.mjs" failed to load: boom at import');
    expect((err.cause as Error).message).toBe('boom at import');
  });

  it('a plugin of the wrong kind is rejected', async () => {
    const reg = new PluginRegistry();
    const err = await caughtAsync(reg.load('./plugins/a-model.mjs', { baseDir: dir, kind: 'task' }));
    expect(err.message).toContain('plugin "./plugins/a-model.mjs" is a model plugin, but it is used here as a task');
    expect(reg.has('model', 'a-model')).toBe(false);
  });

  it('falls back to fromDir for package names (bundled plugins), never for paths', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'ssbench-registry-from-'));
    try {
      mkdirSync(path.join(other, 'node_modules', 'ssbench-task-bundled'), { recursive: true });
      writeFileSync(
        path.join(other, 'node_modules', 'ssbench-task-bundled', 'package.json'),
        JSON.stringify({ name: 'ssbench-task-bundled', type: 'module', main: 'index.js' }),
      );
      writeFileSync(
        path.join(other, 'node_modules', 'ssbench-task-bundled', 'index.js'),
        `export default { kind: 'task', name: 'bundled-task' };\n`,
      );
      const reg = new PluginRegistry();
      const p = await reg.load('ssbench-task-bundled', { baseDir: dir, fromDir: other, kind: 'task' });
      expect(p.name).toBe('bundled-task');
      // baseDir wins when both have it.
      expect((await reg.load('ssbench-task-foo', { baseDir: dir, fromDir: other })).name).toBe('ssbench-task-foo');
      const err = await caughtAsync(reg.load('ssbench-task-none', { baseDir: dir, fromDir: other }));
      expect(err.message).toContain(`could not be found from ${dir} or ${other}`);
      const pathErr = await caughtAsync(reg.load('./node_modules/ssbench-task-bundled/index.js', { baseDir: dir, fromDir: other }));
      expect(pathErr.message).toContain('plugin file not found');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('resolvePluginSpec rejects an empty spec', () => {
    expect(() => resolvePluginSpec('  ', dir)).toThrow(/empty plugin name/);
  });
});
