/**
 * `ssbench create-plugin <kind> <name>`: scaffolds a plugin package (task, model, objective or backend) that a
 * contributor tests, publishes on npm and names in a config. See docs/plugins.md.
 *
 * The package it writes: package.json (ESM, exports its TypeScript source as the ssbench packages do, peer
 * dependency on @ssbench/core and, for models, objectives and backends, @ssbench/graph), src/index.ts (a default
 * export that `satisfies` the contract of its kind, with an options JSON schema and a small working
 * implementation), src/index.test.ts (vitest, with core's registry and validator and graph's interpreter and
 * conformance suite), vitest.config.ts, tsconfig.json, .gitignore and README.md; plus `.changeset/<name>-initial.md`
 * when the package lands in a workspace that uses changesets.
 *
 * Templates are files under `./templates/<kind>/` and `./templates/common/` (`*.tmpl`, inside `src` so that they
 * are published with the CLI); `{{key}}` placeholders are filled in here and an unknown one is an error.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SsbenchError } from '@ssbench/core';

export const CREATE_PLUGIN_KINDS = ['task', 'model', 'objective', 'backend'] as const;
export type CreatePluginKind = (typeof CREATE_PLUGIN_KINDS)[number];

/** Versions of the tools the scaffolded package develops with (the ones this repository uses). */
const TOOL_VERSIONS = { vitest: '^4.1.12', typescript: '^7.0.2', '@types/node': '^20.19.0' } as const;

/** What each kind needs from ssbench. */
const SSBENCH_DEPS: Readonly<Record<CreatePluginKind, readonly ('@ssbench/core' | '@ssbench/graph')[]>> = {
  task: ['@ssbench/core'],
  model: ['@ssbench/core', '@ssbench/graph'],
  objective: ['@ssbench/core', '@ssbench/graph'],
  backend: ['@ssbench/core', '@ssbench/graph'],
};

const DESCRIPTIONS: Readonly<Record<CreatePluginKind, string>> = {
  task: 'ssbench task plugin: topic classification (sport or cooking) of short sentences, a tiny inline data set.',
  model: 'ssbench model plugin: a bag-of-embeddings encoder built in the ssbench graph IR.',
  objective: 'ssbench pretraining objective plugin: masked-token prediction (simplified masked LM).',
  backend: 'ssbench backend plugin: the ssbench graph reference interpreter as a backend.',
};

// ---- package names ------------------------------------------------------------------------------------------

const NAME_PART = /^[a-z0-9~-][a-z0-9._~-]*$/;

/** Why `name` cannot be an npm package name (npm's rules for new packages); empty when it can. */
export function packageNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length === 0) return ['the name is empty'];
  if (name.trim() !== name) problems.push('it has leading or trailing spaces');
  if (name.length > 214) problems.push(`it is ${name.length} characters long (at most 214)`);
  if (name !== name.toLowerCase()) problems.push('it has capital letters (npm names are lower case)');
  const scoped = name.startsWith('@');
  const parts = scoped ? name.slice(1).split('/') : [name];
  if (scoped && (parts.length !== 2 || parts[0] === '' || parts[1] === '')) {
    problems.push('a scoped name is "@scope/name", with exactly one "/"');
    return problems;
  }
  if (!scoped && name.includes('/')) problems.push('it has a "/" but does not start with "@" (a scoped name is "@scope/name")');
  for (const part of scoped ? parts : [name.replace(/\//g, '')]) {
    const what = scoped && part === parts[0] ? 'the scope' : 'the name';
    if (part.startsWith('.') || part.startsWith('_')) problems.push(`${what} starts with "${part[0]}"`);
    else if (!NAME_PART.test(part.toLowerCase()))
      problems.push(`${what} "${part}" has characters other than a-z, 0-9, "-", ".", "_" and "~"`);
  }
  const bare = scoped ? parts[1] : name;
  if (!scoped && (builtinModules.includes(name) || name.startsWith('node:'))) problems.push(`"${name}" is a Node.js core module name`);
  if (['node_modules', 'favicon.ico'].includes(bare)) problems.push(`"${bare}" is reserved`);
  return [...new Set(problems)];
}

/** The directory a package is created in: its name without the scope (`@lab/ssbench-task-x` -> `ssbench-task-x`). */
export function packageDirName(name: string): string {
  return name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
}

/** File-name form of a package name, for the changeset (`@lab/ssbench-task-x` -> `lab-ssbench-task-x`). */
function slug(name: string): string {
  return name.replace(/^@/, '').replace(/\//g, '-');
}

// ---- the workspace around the new package -------------------------------------------------------------------

export interface WorkspaceInfo {
  /** The workspace root: the nearest directory above the package with pnpm-workspace.yaml or package.json "workspaces". */
  root: string;
  /** Whether the new package is one of the workspace's packages (its directory matches a workspace glob). */
  member: boolean;
  /** Whether the root uses changesets (`.changeset/config.json`). */
  changesets: boolean;
  /** Whether the root is the ssbench repository itself (its packages/core is @ssbench/core). */
  ssbench: boolean;
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The `packages:` globs of a pnpm-workspace.yaml (a plain YAML list; quotes removed). */
export function pnpmWorkspaceGlobs(yaml: string): string[] {
  const globs: string[] = [];
  let inPackages = false;
  for (const raw of yaml.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '');
    if (line.trim() === '') continue;
    if (/^\S/.test(line)) {
      inPackages = /^packages\s*:\s*$/.test(line);
      continue;
    }
    const item = inPackages ? /^\s+-\s*(.+?)\s*$/.exec(line) : null;
    if (item) globs.push(item[1].replace(/^(['"])(.*)\1$/, '$2'));
  }
  return globs;
}

/** Whether a workspace-relative POSIX path matches a glob (`*` one segment, `**` any depth). */
export function matchesGlob(path: string, glob: string): boolean {
  const g = glob.replace(/^\.\//, '').replace(/\/+$/, '');
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (c === '*' && g[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(path);
}

/** The workspace that would hold a package created at `packageDir`, or null when there is none above it. */
export function findWorkspace(packageDir: string): WorkspaceInfo | null {
  for (let dir = dirname(resolve(packageDir)); ; dir = dirname(dir)) {
    let globs: string[] | undefined;
    const yaml = join(dir, 'pnpm-workspace.yaml');
    if (existsSync(yaml)) globs = pnpmWorkspaceGlobs(readFileSync(yaml, 'utf8'));
    else {
      const ws = readJson(join(dir, 'package.json'))?.workspaces;
      if (Array.isArray(ws)) globs = ws.filter((w): w is string => typeof w === 'string');
      else if (typeof ws === 'object' && ws !== null && Array.isArray((ws as { packages?: unknown }).packages))
        globs = ((ws as { packages: unknown[] }).packages).filter((w): w is string => typeof w === 'string');
    }
    if (globs !== undefined) {
      const rel = relative(dir, resolve(packageDir)).split(sep).join('/');
      const included = globs.filter((g) => !g.startsWith('!')).some((g) => matchesGlob(rel, g));
      const excluded = globs.filter((g) => g.startsWith('!')).some((g) => matchesGlob(rel, g.slice(1)));
      return {
        root: dir,
        member: included && !excluded,
        changesets: existsSync(join(dir, '.changeset', 'config.json')),
        ssbench: readJson(join(dir, 'packages', 'core', 'package.json'))?.name === '@ssbench/core',
      };
    }
    if (dirname(dir) === dir) return null;
  }
}

// ---- versions of @ssbench/core and @ssbench/graph ---------------------------------------------------------------

/** The version in the package.json of package `name` that contains the file `entry`. */
function versionAbove(entry: string, name: string): string {
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    const pkg = readJson(join(dir, 'package.json'));
    if (pkg?.name === name && typeof pkg.version === 'string') return pkg.version;
    if (dirname(dir) === dir) throw new SsbenchError('internal', `cannot find the package.json of ${name} above ${entry}`);
  }
}

/** The installed versions of @ssbench/core (this CLI's dependency) and @ssbench/graph (core's). */
export function installedSsbenchVersions(): { '@ssbench/core': string; '@ssbench/graph': string } {
  const coreEntry = createRequire(import.meta.url).resolve('@ssbench/core');
  const graphEntry = createRequire(coreEntry).resolve('@ssbench/graph');
  return { '@ssbench/core': versionAbove(coreEntry, '@ssbench/core'), '@ssbench/graph': versionAbove(graphEntry, '@ssbench/graph') };
}

// ---- templates ------------------------------------------------------------------------------------------------

const TEMPLATES = fileURLToPath(new URL('./templates/', import.meta.url));

/** Files of a template directory, relative paths (POSIX) -> text, with `.tmpl` dropped and `gitignore` -> `.gitignore`. */
function templateFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (abs: string, rel: string) => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(join(abs, entry.name), childRel);
      else if (entry.name.endsWith('.tmpl')) {
        const target = childRel.slice(0, -'.tmpl'.length).replace(/(^|\/)gitignore$/, '$1.gitignore');
        out.set(target, readFileSync(join(abs, entry.name), 'utf8'));
      }
    }
  };
  walk(dir, '');
  return out;
}

/** Replaces every `{{key}}`; a placeholder without a value is a bug in the templates. */
export function fillTemplate(text: string, values: Readonly<Record<string, string>>, what: string): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const v = values[key];
    if (v === undefined) throw new SsbenchError('internal', `template ${what}: unknown placeholder {{${key}}}`);
    return v;
  });
}

// ---- the package ----------------------------------------------------------------------------------------------

export interface CreatePluginOptions {
  kind: CreatePluginKind;
  /** npm package name, e.g. `ssbench-task-foo` or `@lab/ssbench-task-foo`. */
  name: string;
  /** Directory in which the package directory is created (default: the current directory). */
  parentDir?: string;
  /** Versions of @ssbench/core and @ssbench/graph to depend on (default: the installed ones). */
  versions?: { '@ssbench/core': string; '@ssbench/graph': string };
}

export interface CreatedPlugin {
  kind: CreatePluginKind;
  name: string;
  /** The new package's directory (absolute). */
  dir: string;
  /** Files written in it, relative POSIX paths, sorted. */
  files: string[];
  /** The changeset file written (absolute), or null when the package is not in a changesets workspace. */
  changeset: string | null;
  workspace: WorkspaceInfo | null;
  /** Advice that does not stop the scaffold (e.g. an unconventional name). */
  warnings: string[];
}

function development(kind: CreatePluginKind, ws: WorkspaceInfo | null): string {
  const install = ws?.member
    ? `This package is part of a workspace: run \`pnpm install\` at the workspace root once, so that its dependencies\n(${ws.ssbench ? 'the workspace\'s own `@ssbench/*` packages' : '`@ssbench/*` from npm'}) are linked into its \`node_modules\`.`
    : 'Run `npm install` (or `pnpm install`) here once: it installs `@ssbench/core`' +
      (SSBENCH_DEPS[kind].includes('@ssbench/graph') ? ', `@ssbench/graph`' : '') +
      ', vitest and TypeScript.';
  return `${install}\n\n\`\`\`sh\nnpm test            # vitest: src/index.test.ts\nnpm run typecheck   # tsc: the plugin object satisfies the ssbench contract\n\`\`\``;
}

function publishing(name: string, ws: WorkspaceInfo | null, changesetFile: string | null): string {
  if (changesetFile !== null && ws !== null)
    return (
      `This package is in a workspace that uses [changesets](https://github.com/changesets/changesets); its first changeset is\n` +
      `\`${relative(ws.root, changesetFile).split(sep).join('/')}\` (a minor bump: 0.0.0 -> 0.1.0). From the workspace root:\n\n` +
      '```sh\npnpm changeset            # describe each later change (patch / minor / major) for users\n' +
      'pnpm changeset version    # apply the pending changesets: versions and CHANGELOG.md\n' +
      'pnpm changeset publish    # publish the packages whose version is not on npm yet\n```'
    );
  return (
    'This package is not in a workspace that uses changesets, so no changeset was written. Either publish by hand\n' +
    `(\`npm publish${name.startsWith('@') ? ' --access public' : ''}\` for 0.1.0, then \`npm version patch|minor|major\` before each later publish),\n` +
    'or set changesets up here:\n\n' +
    '```sh\nnpm install --save-dev @changesets/cli && npx changeset init\nnpx changeset            # describe the change (patch / minor / major)\n' +
    'npx changeset version    # apply it: version and CHANGELOG.md\nnpx changeset publish    # publish to npm\n```'
  );
}

/**
 * package.json. Outside this repository @ssbench/* are peer dependencies (the runner's copy is the one the plugin
 * uses) and dev dependencies (for the tests). Inside it, like the bundled plugins, plain `workspace:*` dependencies:
 * changesets would bump a package major whenever a peer dependency it names is released.
 */
function packageJson(kind: CreatePluginKind, name: string, ssbenchDeps: Record<string, string>, inSsbench: boolean, initialVersion: string): string {
  const pkg: Record<string, unknown> = {
    name,
    version: initialVersion,
    description: DESCRIPTIONS[kind],
    type: 'module',
    license: 'MIT',
    keywords: ['ssbench', 'ssbench-plugin', `ssbench-${kind}`],
    main: './src/index.ts',
    types: './src/index.ts',
    exports: { '.': './src/index.ts' },
    files: ['src', '!src/**/*.test.ts', 'README.md'],
    scripts: { test: 'vitest run', typecheck: 'tsc --noEmit' },
    ...(inSsbench ? { dependencies: ssbenchDeps, devDependencies: { ...TOOL_VERSIONS } } : { peerDependencies: ssbenchDeps, devDependencies: { ...ssbenchDeps, ...TOOL_VERSIONS } }),
  };
  if (name.startsWith('@')) pkg.publishConfig = { access: 'public' };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** The compiler options of the ssbench repository (tsconfig.base.json), so the package type-checks as its packages do. */
function tsconfigJson(): string {
  const config = {
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'bundler',
      lib: ['ES2023'],
      types: ['node'],
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      resolveJsonModule: true,
      isolatedModules: true,
      verbatimModuleSyntax: true,
      allowImportingTsExtensions: true,
      noEmit: true,
    },
    include: ['src', 'vitest.config.ts'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Everything `createPlugin` would write, without touching the disk: relative path -> text, and the changeset. */
export function renderPlugin(options: {
  kind: CreatePluginKind;
  name: string;
  workspace: WorkspaceInfo | null;
  versions: { '@ssbench/core': string; '@ssbench/graph': string };
}): { files: Map<string, string>; changeset: { file: string; text: string } | null } {
  const { kind, name, workspace: ws } = options;
  const changesetFile = ws?.member && ws.changesets ? join(ws.root, '.changeset', `${slug(name)}-initial.md`) : null;
  const inSsbench = ws?.member === true && ws.ssbench;
  const deps: Record<string, string> = {};
  for (const d of SSBENCH_DEPS[kind]) deps[d] = inSsbench ? 'workspace:*' : `^${options.versions[d]}`;
  const values = {
    name,
    dirName: packageDirName(name),
    development: development(kind, ws),
    publishing: publishing(name, ws, changesetFile),
  };
  const files = new Map<string, string>();
  for (const source of [join(TEMPLATES, 'common'), join(TEMPLATES, kind)])
    for (const [rel, text] of templateFiles(source)) files.set(rel, fillTemplate(text, values, `${kind}/${rel}`));
  files.set('package.json', packageJson(kind, name, deps, inSsbench, changesetFile ? '0.0.0' : '0.1.0'));
  files.set('tsconfig.json', tsconfigJson());
  const changeset =
    changesetFile === null
      ? null
      : {
          file: changesetFile,
          text: `---\n${JSON.stringify(name)}: minor\n---\n\nFirst release of ${name}, an ssbench ${kind} plugin (scaffolded by \`ssbench create-plugin ${kind} ${name}\`).\n`,
        };
  return { files, changeset };
}

/** Conventional names say what a package is: `ssbench-task-*`, `@scope/ssbench-task-*`. */
function nameWarnings(kind: CreatePluginKind, name: string): string[] {
  const bare = packageDirName(name);
  if (bare.startsWith(`ssbench-${kind}-`) || (name.startsWith('@ssbench/') && bare.startsWith(`${kind}-`))) return [];
  return [`"${name}" does not follow the naming convention ssbench-${kind}-<what> (e.g. ssbench-${kind}-foo or @lab/ssbench-${kind}-foo), which helps people find it on npm`];
}

/**
 * Scaffolds a plugin package in `<parentDir>/<name without scope>`. Refuses an invalid name and an existing
 * non-empty directory (SsbenchError 'config', exit status 2) before writing anything; never overwrites a file.
 */
export function createPlugin(options: CreatePluginOptions): CreatedPlugin {
  const { kind, name } = options;
  if (!(CREATE_PLUGIN_KINDS as readonly string[]).includes(kind))
    throw new SsbenchError('config', `unknown plugin kind "${kind}": expected one of ${CREATE_PLUGIN_KINDS.join(', ')}`);
  const problems = packageNameProblems(name);
  if (problems.length > 0)
    throw new SsbenchError('config', `"${name}" is not a valid npm package name: ${problems.join('; ')}`, {
      hint: `e.g. ssbench-${kind}-foo, or @your-scope/ssbench-${kind}-foo`,
    });
  const parentDir = resolve(options.parentDir ?? '.');
  const dir = join(parentDir, packageDirName(name));
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new SsbenchError('config', `${dir} exists and is not a directory; choose another --dir or name`);
    if (readdirSync(dir).length > 0) throw new SsbenchError('config', `${dir} exists and is not empty; refusing to overwrite it (choose another --dir or name, or remove it)`);
  }
  const workspace = findWorkspace(dir);
  const { files, changeset } = renderPlugin({ kind, name, workspace, versions: options.versions ?? installedSsbenchVersions() });
  if (changeset !== null && existsSync(changeset.file)) throw new SsbenchError('config', `the changeset ${changeset.file} already exists; refusing to overwrite it`);

  for (const [rel, text] of files) {
    const file = join(dir, ...rel.split('/'));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text, { flag: 'wx' });
  }
  if (changeset !== null) {
    mkdirSync(dirname(changeset.file), { recursive: true });
    writeFileSync(changeset.file, changeset.text, { flag: 'wx' });
  }
  return { kind, name, dir, files: [...files.keys()].sort(), changeset: changeset?.file ?? null, workspace, warnings: nameWarnings(kind, name) };
}

/** What `ssbench create-plugin` prints: the files written and the next steps, paths relative to `cwd`. */
export function formatCreated(r: CreatedPlugin, cwd: string): string {
  const rel = (p: string) => {
    const x = relative(cwd, p);
    return x === '' ? '.' : x.startsWith('..') || x.startsWith(sep) ? p : `.${sep}${x}`;
  };
  const lines = [`created ${r.kind} plugin ${r.name} in ${rel(r.dir)}:`, ...r.files.map((f) => `  ${f}`)];
  if (r.changeset !== null) lines.push(`  ${rel(r.changeset)} (changeset of its first release)`);
  lines.push('', 'next:', `  cd ${rel(r.dir)}`);
  lines.push(r.workspace?.member ? `  pnpm install        (in the workspace root, ${rel(r.workspace.root)})` : '  npm install');
  lines.push('  npm test', '', 'then name it in an experiment config:');
  const fromHere = relative(cwd, r.dir).split(sep).join('/');
  if (!fromHere.startsWith('..') && !isAbsolute(fromHere)) lines.push(`  by path, from a config in this directory:  "plugin": "./${fromHere}"`);
  else lines.push('  by path, relative to the config file:  "plugin": "./path/to/the/package"');
  lines.push(`  by package name, once installed in node_modules at or above the config's directory:  "plugin": "${r.name}"`);
  return `${lines.join('\n')}\n`;
}
