/**
 * `ssbench create-plugin`: package-name validation, workspace and changesets detection, the files written for each
 * kind, refusals (bad name, non-empty directory, existing changeset) that write nothing, and that the scaffolded
 * model, objective and backend packages pass their own tests and type-check as they are (the task package is run
 * end to end, through `ssbench run`, in tests/create-plugin.test.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SsbenchError } from '@ssbench/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CREATE_PLUGIN_KINDS,
  type CreatePluginKind,
  createPlugin,
  fillTemplate,
  findWorkspace,
  formatCreated,
  installedSsbenchVersions,
  matchesGlob,
  packageNameProblems,
  pnpmWorkspaceGlobs,
} from './create-plugin';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const VERSIONS = { '@ssbench/core': '1.2.3', '@ssbench/graph': '4.5.6' };

const made: string[] = [];
const tempDir = (parent = tmpdir()) => {
  const d = mkdtempSync(join(parent, '.tmp-create-plugin-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/** The error `fn` throws (it must throw an SsbenchError). */
function thrown(fn: () => unknown): SsbenchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SsbenchError) return e;
    throw e;
  }
  throw new Error('expected an SsbenchError');
}

describe('package names', () => {
  it('accepts npm names, plain and scoped', () => {
    for (const name of ['ssbench-task-foo', '@lab/ssbench-task-foo', 'a.b_c~d-1', '@my-lab/x'] as const) expect(packageNameProblems(name), name).toEqual([]);
  });

  it('refuses what npm refuses, saying why', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['Ssbench-Task', /capital letters/],
      ['@lab', /"@scope\/name"/],
      ['@lab/', /"@scope\/name"/],
      ['@lab/a/b', /exactly one "\/"/],
      ['lab/foo', /does not start with "@"/],
      ['.hidden', /starts with "\."/],
      ['_private', /starts with "_"/],
      ['my task', /characters other than/],
      [' padded', /leading or trailing spaces/],
      ['fs', /Node\.js core module/],
      ['node_modules', /reserved/],
      [`x${'y'.repeat(214)}`, /215 characters long/],
    ];
    for (const [name, why] of cases) expect(packageNameProblems(name).join('; '), JSON.stringify(name)).toMatch(why);
  });
});

describe('workspaces', () => {
  it('reads the packages globs of pnpm-workspace.yaml and matches paths against them', () => {
    const yaml = "# comment\npackages:\n  - packages/*\n  - 'plugins/*'   # quoted\n  - \"!plugins/old\"\nallowBuilds:\n  esbuild: false\n";
    expect(pnpmWorkspaceGlobs(yaml)).toEqual(['packages/*', 'plugins/*', '!plugins/old']);
    expect(matchesGlob('plugins/ssbench-task-x', 'plugins/*')).toBe(true);
    expect(matchesGlob('plugins/a/b', 'plugins/*')).toBe(false);
    expect(matchesGlob('plugins/a/b', 'plugins/**')).toBe(true);
    expect(matchesGlob('tests/.tmp/x', 'plugins/*')).toBe(false);
    expect(matchesGlob('pkg.x', 'pkg?x')).toBe(true);
  });

  it('knows this repository: plugins/* are members, with changesets and @ssbench/core', () => {
    expect(findWorkspace(join(ROOT, 'plugins', 'ssbench-task-new'))).toEqual({ root: ROOT, member: true, changesets: true, ssbench: true });
    expect(findWorkspace(join(ROOT, 'tests', '.tmp', 'ssbench-task-new'))).toEqual({ root: ROOT, member: false, changesets: true, ssbench: true });
  });

  it('reads npm/yarn "workspaces" from package.json, with negations', () => {
    const ws = tempDir();
    writeFileSync(join(ws, 'package.json'), JSON.stringify({ private: true, workspaces: ['libs/*', '!libs/legacy'] }));
    expect(findWorkspace(join(ws, 'libs', 'ssbench-model-x'))).toEqual({ root: ws, member: true, changesets: false, ssbench: false });
    expect(findWorkspace(join(ws, 'libs', 'legacy'))?.member).toBe(false);
  });

  it('reports the installed @ssbench/core and @ssbench/graph versions', () => {
    expect(installedSsbenchVersions()).toEqual({
      '@ssbench/core': readJson(join(ROOT, 'packages', 'core', 'package.json')).version,
      '@ssbench/graph': readJson(join(ROOT, 'packages', 'graph', 'package.json')).version,
    });
  });
});

describe('the scaffold', () => {
  const standalone = tempDir();
  it('runs outside any workspace here (precondition of the next tests)', () => {
    expect(findWorkspace(join(standalone, 'x'))).toBeNull();
  });

  const expectedFiles: Record<CreatePluginKind, string[]> = {
    task: ['.gitignore', 'README.md', 'package.json', 'src/data.ts', 'src/index.test.ts', 'src/index.ts', 'tsconfig.json', 'vitest.config.ts'],
    model: ['.gitignore', 'README.md', 'package.json', 'src/index.test.ts', 'src/index.ts', 'tsconfig.json', 'vitest.config.ts'],
    objective: ['.gitignore', 'README.md', 'package.json', 'src/index.test.ts', 'src/index.ts', 'tsconfig.json', 'vitest.config.ts'],
    backend: ['.gitignore', 'README.md', 'package.json', 'src/index.test.ts', 'src/index.ts', 'tsconfig.json', 'vitest.config.ts'],
  };

  for (const kind of CREATE_PLUGIN_KINDS) {
    it(`${kind}: a package that exports its TypeScript source, depends on ssbench as a peer, and names itself`, () => {
      const name = `ssbench-${kind}-demo`;
      const r = createPlugin({ kind, name, parentDir: standalone, versions: VERSIONS });
      expect(r.dir).toBe(join(standalone, name));
      expect(r.files).toEqual(expectedFiles[kind]);
      expect(readdirSync(r.dir).sort()).toEqual(['.gitignore', 'README.md', 'package.json', 'src', 'tsconfig.json', 'vitest.config.ts']);
      expect(r.changeset).toBeNull();
      expect(r.warnings).toEqual([]);

      const pkg = readJson(join(r.dir, 'package.json'));
      const deps = kind === 'task' ? { '@ssbench/core': '^1.2.3' } : { '@ssbench/core': '^1.2.3', '@ssbench/graph': '^4.5.6' };
      expect(pkg).toMatchObject({ name, version: '0.1.0', type: 'module', main: './src/index.ts', exports: { '.': './src/index.ts' }, peerDependencies: deps });
      expect(pkg.devDependencies).toMatchObject({ ...deps, vitest: expect.any(String), typescript: expect.any(String) });
      expect(pkg.scripts).toEqual({ test: 'vitest run', typecheck: 'tsc --noEmit' });
      expect(pkg.publishConfig).toBeUndefined();

      const index = readFileSync(join(r.dir, 'src', 'index.ts'), 'utf8');
      expect(index).toContain(`export const PACKAGE_NAME = '${name}';`);
      const contract = { task: 'TaskPlugin', model: 'ModelPlugin', objective: 'ObjectivePlugin', backend: 'BackendPlugin' }[kind];
      expect(index).toMatch(new RegExp(`\\} satisfies ${contract}<OptionsInput>;\\n\\nexport default plugin;\\n$`));
      for (const f of r.files) expect(readFileSync(join(r.dir, f), 'utf8'), f).not.toMatch(/\{\{\w+\}\}/);
      const readme = readFileSync(join(r.dir, 'README.md'), 'utf8');
      expect(readme.startsWith(`# ${name}\n`)).toBe(true);
      expect(readme).toContain(`"plugin": "${name}"`);
      expect(readme).toContain('no changeset was written');
      expect(readme).toContain('npm install');
    });
  }

  it('a scoped name goes in a directory without the scope, published publicly', () => {
    const r = createPlugin({ kind: 'task', name: '@lab/ssbench-task-scoped', parentDir: standalone, versions: VERSIONS });
    expect(r.dir).toBe(join(standalone, 'ssbench-task-scoped'));
    expect(readJson(join(r.dir, 'package.json'))).toMatchObject({ name: '@lab/ssbench-task-scoped', publishConfig: { access: 'public' } });
    expect(readFileSync(join(r.dir, 'README.md'), 'utf8')).toContain('npm publish --access public');
    expect(formatCreated(r, standalone)).toContain('"plugin": "./ssbench-task-scoped"');
  });

  it('an unconventional name is accepted with a note', () => {
    const r = createPlugin({ kind: 'model', name: 'my-encoder', parentDir: standalone, versions: VERSIONS });
    expect(r.warnings).toEqual([expect.stringContaining('naming convention ssbench-model-<what>')]);
  });

  it('an existing empty directory is used', () => {
    mkdirSync(join(standalone, 'ssbench-task-empty'));
    expect(createPlugin({ kind: 'task', name: 'ssbench-task-empty', parentDir: standalone, versions: VERSIONS }).files).toContain('src/index.ts');
  });
});

describe('refusals write nothing', () => {
  const parent = tempDir();

  it('an invalid name, with the reason and an example', () => {
    const e = thrown(() => createPlugin({ kind: 'task', name: 'My Task', parentDir: parent, versions: VERSIONS }));
    expect(e.code).toBe('config');
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/"My Task" is not a valid npm package name: .*capital letters.*characters other than/);
    expect(e.message).toContain('e.g. ssbench-task-foo');
    expect(readdirSync(parent)).toEqual([]);
  });

  it('an unknown kind', () => {
    expect(thrown(() => createPlugin({ kind: 'widget' as CreatePluginKind, name: 'x', parentDir: parent })).message).toMatch(/unknown plugin kind "widget"/);
  });

  it('an existing non-empty directory, or a file in the way, is never overwritten', () => {
    const dir = join(parent, 'ssbench-task-taken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(thrown(() => createPlugin({ kind: 'task', name: 'ssbench-task-taken', parentDir: parent, versions: VERSIONS })).message).toMatch(
      /ssbench-task-taken exists and is not empty; refusing to overwrite it/,
    );
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    writeFileSync(join(parent, 'ssbench-task-file'), '');
    expect(thrown(() => createPlugin({ kind: 'task', name: 'ssbench-task-file', parentDir: parent, versions: VERSIONS })).message).toMatch(/is not a directory/);
  });
});

describe('in a workspace with changesets', () => {
  const ws = tempDir();
  writeFileSync(join(ws, 'pnpm-workspace.yaml'), "packages:\n  - 'plugins/*'\n");
  mkdirSync(join(ws, '.changeset'));
  writeFileSync(join(ws, '.changeset', 'config.json'), '{}');

  it('a member package gets its first changeset (a minor bump from 0.0.0) and the changesets commands', () => {
    const r = createPlugin({ kind: 'task', name: '@lab/ssbench-task-x', parentDir: join(ws, 'plugins'), versions: VERSIONS });
    expect(r.workspace).toEqual({ root: ws, member: true, changesets: true, ssbench: false });
    expect(r.changeset).toBe(join(ws, '.changeset', 'lab-ssbench-task-x-initial.md'));
    expect(readFileSync(r.changeset as string, 'utf8')).toMatch(/^---\n"@lab\/ssbench-task-x": minor\n---\n\nFirst release of @lab\/ssbench-task-x, an ssbench task plugin/);
    expect(readJson(join(r.dir, 'package.json'))).toMatchObject({ version: '0.0.0', peerDependencies: { '@ssbench/core': '^1.2.3' } });
    const readme = readFileSync(join(r.dir, 'README.md'), 'utf8');
    for (const cmd of ['pnpm changeset ', 'pnpm changeset version', 'pnpm changeset publish', '.changeset/lab-ssbench-task-x-initial.md', 'pnpm install']) expect(readme).toContain(cmd);
    expect(formatCreated(r, ws)).toContain('.changeset/lab-ssbench-task-x-initial.md (changeset of its first release)');
  });

  it('an existing changeset of the same name is not overwritten, and nothing is written', () => {
    rmSync(join(ws, 'plugins', 'ssbench-task-x'), { recursive: true });
    expect(thrown(() => createPlugin({ kind: 'task', name: '@lab/ssbench-task-x', parentDir: join(ws, 'plugins'), versions: VERSIONS })).message).toMatch(
      /changeset .*lab-ssbench-task-x-initial\.md already exists/,
    );
    expect(existsSync(join(ws, 'plugins', 'ssbench-task-x'))).toBe(false);
  });

  it('a package outside the workspace globs gets no changeset, and a README note instead', () => {
    const r = createPlugin({ kind: 'objective', name: 'ssbench-objective-y', parentDir: join(ws, 'scratch'), versions: VERSIONS });
    expect(r.changeset).toBeNull();
    expect(readdirSync(join(ws, '.changeset')).sort()).toEqual(['config.json', 'lab-ssbench-task-x-initial.md']);
    expect(readFileSync(join(r.dir, 'README.md'), 'utf8')).toContain('not in a workspace that uses changesets');
  });

  it('inside the ssbench repository itself, @ssbench/* are workspace:* dependencies, as the bundled plugins have them', () => {
    mkdirSync(join(ws, 'packages', 'core'), { recursive: true });
    writeFileSync(join(ws, 'packages', 'core', 'package.json'), JSON.stringify({ name: '@ssbench/core', version: '9.9.9' }));
    const r = createPlugin({ kind: 'backend', name: 'ssbench-backend-z', parentDir: join(ws, 'plugins'), versions: VERSIONS });
    const pkg = readJson(join(r.dir, 'package.json'));
    expect(pkg.dependencies).toEqual({ '@ssbench/core': 'workspace:*', '@ssbench/graph': 'workspace:*' });
    expect(pkg.peerDependencies).toBeUndefined();
    expect(Object.keys(pkg.devDependencies as object).sort()).toEqual(['@types/node', 'typescript', 'vitest']);
    expect(readFileSync(join(r.dir, 'README.md'), 'utf8')).toContain("the workspace's own `@ssbench/*` packages");
  });
});

describe('templates', () => {
  it('an unknown placeholder is an error, not silent text', () => {
    expect(fillTemplate('a {{name}} b', { name: 'x' }, 't')).toBe('a x b');
    expect(() => fillTemplate('a {{nmae}}', { name: 'x' }, 'task/README.md')).toThrow(/template task\/README\.md: unknown placeholder \{\{nmae\}\}/);
  });
});

// ---- the scaffolded packages, as a contributor runs them ------------------------------------------------------

interface Run {
  status: number | null;
  output: string;
}

function run(cmd: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.on('error', fail);
    child.on('close', (status) => done({ status, output }));
  });
}

/** What `npm install` would provide from npm: @ssbench/core and graph, here linked from this repository. */
function linkSsbench(pkgDir: string): void {
  mkdirSync(join(pkgDir, 'node_modules', '@ssbench'), { recursive: true });
  for (const p of ['core', 'graph']) symlinkSync(join(ROOT, 'packages', p), join(pkgDir, 'node_modules', '@ssbench', p), 'dir');
}

describe.concurrent('scaffolded packages pass their own tests and type-check', () => {
  // Inside the repository (so that vitest and TypeScript resolve from its node_modules, as after a contributor's
  // install) but in its git-ignored cache directory, out of the globs of the repository's own tests, tsc and lint.
  const scratch = join(ROOT, '.ssbench-cache', 'tmp');
  mkdirSync(scratch, { recursive: true });
  const parent = tempDir(scratch);
  const dirs = Object.fromEntries(CREATE_PLUGIN_KINDS.map((kind) => [kind, createPlugin({ kind, name: `ssbench-${kind}-check`, parentDir: parent }).dir]));
  for (const d of Object.values(dirs)) linkSsbench(d);
  const bin = (tool: string) => join(ROOT, 'node_modules', '.bin', tool);

  it('tsc: every plugin object satisfies its contract, tests included (one compilation, the packages\' own settings)', async ({ expect }) => {
    // The four tsconfig.json are the same file; one tsc over the four packages checks @ssbench/core and graph once.
    const configs = CREATE_PLUGIN_KINDS.map((k) => readFileSync(join(dirs[k], 'tsconfig.json'), 'utf8'));
    expect(new Set(configs).size).toBe(1);
    const include = CREATE_PLUGIN_KINDS.flatMap((k) => [`ssbench-${k}-check/src`, `ssbench-${k}-check/vitest.config.ts`]);
    writeFileSync(join(parent, 'tsconfig.json'), JSON.stringify({ extends: './ssbench-task-check/tsconfig.json', include }));
    const r = await run(bin('tsc'), ['--noEmit', '-p', '.'], parent);
    expect(r.status, r.output).toBe(0);
  });

  it('vitest: the model, objective and backend tests pass, each package with its own vitest.config.ts', async ({ expect }) => {
    // One vitest process, one project per package (the task package runs end to end in tests/create-plugin.test.ts).
    const kinds = ['model', 'objective', 'backend'] as const;
    writeFileSync(join(parent, 'vitest.config.ts'), `export default { test: { projects: ${JSON.stringify(kinds.map((k) => `./ssbench-${k}-check`))} } };\n`);
    const r = await run(bin('vitest'), ['run'], parent);
    expect(r.status, r.output).toBe(0);
    for (const k of kinds) expect(r.output).toMatch(new RegExp(`✓ \\|ssbench-${k}-check\\| src/index\\.test\\.ts`)); // the project of the package, with its own config
    expect(r.output).toMatch(/Test Files\s+3 passed \(3\)/);
    expect(r.output).not.toMatch(/failed/);
  });
});
