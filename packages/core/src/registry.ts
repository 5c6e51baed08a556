/**
 * Plugin registry and loader.
 *
 * A config names each plugin by npm package name (`@ssbench/model-bert`, `ssbench-task-foo`) or by a local
 * path (`./plugins/my-task.js`). `PluginRegistry.load` resolves the name from the config's directory the way
 * Node would, imports the module, checks that its default export is a plugin object and registers it.
 * There is no central list: a third party publishes `ssbench-task-foo` and a config names it.
 *
 * A registry is an instance (the runner makes one per run); nothing here is global.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closestMatches, didYouMean, SsbenchError } from './errors';

export type PluginKind = 'backend' | 'model' | 'objective' | 'task';
export const PLUGIN_KINDS: readonly PluginKind[] = Object.freeze(['backend', 'model', 'objective', 'task']);

/** A JSON Schema (draft-07) as a plain object. */
export type JSONSchema = Record<string, unknown>;

/** What every plugin object has. The full contracts per kind are in `contracts.ts`. */
export interface PluginBase {
  readonly kind: PluginKind;
  readonly name: string;
  readonly version?: string;
  readonly optionsSchema?: JSONSchema;
}

/** The members of the plugin union `P` whose `kind` is `K` (for `PluginBase` itself: `PluginBase`). */
export type PluginOfKind<P, K extends PluginKind> = P extends { readonly kind: infer PK } ? (K extends PK ? P : never) : never;

export interface LoadOptions<K extends PluginKind = PluginKind> {
  /** Directory that package names and relative paths are resolved from (the config file's directory). */
  baseDir: string;
  /** The kind the config expects here; a plugin of another kind is an error. */
  kind?: K;
  /** Plugin names known to exist (bundled ones), offered as suggestions when a package is not found. */
  knownNames?: readonly string[];
  /**
   * A second directory to resolve package names from when `baseDir` cannot (e.g. the runner's own directory,
   * where the bundled plugins are installed). Paths are always resolved against `baseDir`.
   */
  fromDir?: string;
}

/** True when a plugin spec is a file path (starts with `.` or `/`, or is absolute) rather than a package name. */
export function isPathSpec(spec: string): boolean {
  return spec.startsWith('.') || spec.startsWith('/') || path.isAbsolute(spec);
}

const KIND_SET: ReadonlySet<string> = new Set(PLUGIN_KINDS);

/** Problems that keep `value` from being a plugin object (empty when it is one). */
export function pluginShapeProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [`expected an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`];
  }
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof v.kind !== 'string') problems.push('"kind" must be a string');
  else if (!KIND_SET.has(v.kind)) problems.push(`"kind" must be one of ${PLUGIN_KINDS.map((k) => `"${k}"`).join(', ')}, got ${JSON.stringify(v.kind)}`);
  if (typeof v.name !== 'string' || v.name === '') problems.push('"name" must be a non-empty string');
  if (v.version !== undefined && typeof v.version !== 'string') problems.push('"version" must be a string');
  if (v.optionsSchema !== undefined && (typeof v.optionsSchema !== 'object' || v.optionsSchema === null || Array.isArray(v.optionsSchema))) {
    problems.push('"optionsSchema" must be a JSON Schema object');
  }
  return problems;
}

function isPluginLike(value: unknown): boolean {
  return pluginShapeProblems(value).length === 0;
}

interface Entry<P> {
  plugin: P;
  /** Resolved file the plugin was loaded from, when loaded. */
  source?: string;
}

type NodeError = Error & { code?: string };

export class PluginRegistry<P extends PluginBase = PluginBase> {
  private readonly byKind = new Map<PluginKind, Map<string, Entry<P>>>();
  /** Real path of a loaded module -> its plugin, so loading the same module twice is not a duplicate. */
  private readonly bySource = new Map<string, P>();

  /** Registers a plugin; a second plugin of the same kind and name throws. Returns the plugin. */
  register(plugin: P, source?: string): P {
    const problems = pluginShapeProblems(plugin);
    if (problems.length > 0) {
      throw new SsbenchError('plugin', `not a plugin object: ${problems.join('; ')}`, source === undefined ? {} : { file: source });
    }
    let names = this.byKind.get(plugin.kind);
    if (names === undefined) {
      names = new Map();
      this.byKind.set(plugin.kind, names);
    }
    const existing = names.get(plugin.name);
    if (existing !== undefined) {
      const from = (s: string | undefined) => (s === undefined ? 'registered directly' : `from ${s}`);
      throw new SsbenchError(
        'plugin',
        `duplicate ${plugin.kind} plugin "${plugin.name}": one is ${from(existing.source)}, the other ${from(source)}`,
      );
    }
    names.set(plugin.name, source === undefined ? { plugin } : { plugin, source });
    return plugin;
  }

  has(kind: PluginKind, name: string): boolean {
    return this.byKind.get(kind)?.has(name) ?? false;
  }

  /** The plugin of this kind and name; an unknown name throws with the close registered names. */
  get<K extends PluginKind>(kind: K, name: string): PluginOfKind<P, K> {
    const entry = this.byKind.get(kind)?.get(name);
    if (entry === undefined) {
      const known = this.names(kind);
      const hint = didYouMean(closestMatches(name, known));
      const list = known.length === 0 ? `no ${kind} plugins are registered` : `registered ${kind} plugins: ${known.join(', ')}`;
      throw new SsbenchError('plugin', `unknown ${kind} plugin "${name}"; ${list}`, hint === undefined ? {} : { hint });
    }
    return entry.plugin as unknown as PluginOfKind<P, K>;
  }

  /** Registered plugins, of one kind or all, in registration order. */
  list<K extends PluginKind>(kind?: K): PluginOfKind<P, K>[] {
    const kinds = kind === undefined ? PLUGIN_KINDS : [kind];
    const out: P[] = [];
    for (const k of kinds) for (const e of this.byKind.get(k)?.values() ?? []) out.push(e.plugin);
    return out as unknown as PluginOfKind<P, K>[];
  }

  /** Registered names, of one kind or all. */
  names(kind?: PluginKind): string[] {
    return this.list(kind).map((p) => p.name);
  }

  /** The file a registered plugin was loaded from (undefined if registered directly or unknown). */
  sourceOf(kind: PluginKind, name: string): string | undefined {
    return this.byKind.get(kind)?.get(name)?.source;
  }

  /**
   * Loads a plugin by package name (resolved from `baseDir` as Node's `require.resolve` would, falling back
   * to the package's `import` export) or by local path (starting with `.` or `/`, resolved against `baseDir`),
   * checks that the module's default export is a plugin object (of `kind`, if given), registers and returns
   * it. Loading the same module again returns the plugin already registered.
   */
  async load<K extends PluginKind = PluginKind>(spec: string, options: LoadOptions<K>): Promise<PluginOfKind<P, K>> {
    const baseDir = path.resolve(options.baseDir);
    const resolved = resolvePluginSpec(spec, baseDir, {
      knownNames: [...(options.knownNames ?? []), ...this.names(options.kind)],
      ...(options.fromDir === undefined ? {} : { fromDir: path.resolve(options.fromDir) }),
    });
    const cached = this.bySource.get(resolved);
    if (cached !== undefined) {
      checkKind(cached, spec, resolved, options.kind);
      return cached as unknown as PluginOfKind<P, K>;
    }
    let mod: unknown;
    try {
      mod = await import(/* @vite-ignore */ pathToFileURL(resolved).href);
    } catch (cause) {
      const msg = cause instanceof Error ? cause.message : String(cause);
      throw new SsbenchError('plugin', `plugin "${spec}" failed to load: ${msg}`, { file: resolved, cause });
    }
    const plugin = pluginFromModule(mod);
    const problems = pluginShapeProblems(plugin);
    if (problems.length > 0) {
      const m = mod as Record<string, unknown>;
      const named = Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule');
      const hint =
        m.default === undefined
          ? `the module has no default export${named.length > 0 ? ` (named exports: ${named.join(', ')})` : ''}; write \`export default { kind, name, ... }\``
          : undefined;
      throw new SsbenchError('plugin', `plugin "${spec}" does not default-export a plugin object: ${problems.join('; ')}`, {
        file: resolved,
        ...(hint === undefined ? {} : { hint }),
      });
    }
    const p = plugin as P;
    checkKind(p, spec, resolved, options.kind);
    this.register(p, resolved);
    this.bySource.set(resolved, p);
    return p as unknown as PluginOfKind<P, K>;
  }
}

function checkKind(plugin: PluginBase, spec: string, file: string, kind: PluginKind | undefined): void {
  if (kind !== undefined && plugin.kind !== kind) {
    throw new SsbenchError('plugin', `plugin "${spec}" is a ${plugin.kind} plugin, but it is used here as a ${kind}`, { file });
  }
}

/** The plugin object of an imported module: its default export (unwrapping a CJS `exports.default`). */
function pluginFromModule(mod: unknown): unknown {
  if (typeof mod !== 'object' || mod === null) return mod;
  let d = (mod as { default?: unknown }).default;
  if (typeof d === 'object' && d !== null && !isPluginLike(d) && 'default' in d) {
    d = (d as { default?: unknown }).default;
  }
  return d;
}

function realpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * Resolves a plugin spec to an absolute file path (real path), or throws a 'plugin' SsbenchError. Package
 * names are resolved from `baseDir`, then from `fromDir`; `knownNames` are suggested when nothing is found.
 */
export function resolvePluginSpec(
  spec: string,
  baseDir: string,
  options: { knownNames?: readonly string[]; fromDir?: string } = {},
): string {
  if (spec.trim() === '') throw new SsbenchError('plugin', 'empty plugin name');
  if (isPathSpec(spec)) {
    const abs = path.resolve(baseDir, spec);
    if (existsSync(abs) && statSync(abs).isFile()) return realpath(abs);
    try {
      // A directory (package.json "main" or index.js) or a path without its extension.
      return realpath(createRequire(path.join(baseDir, '__ssbench_resolve__.js')).resolve(abs));
    } catch {
      throw new SsbenchError('plugin', `plugin file not found: ${abs} (from "${spec}", resolved against ${baseDir})`);
    }
  }
  const dirs = [baseDir];
  if (options.fromDir !== undefined && options.fromDir !== baseDir) dirs.push(options.fromDir);
  let notFound: NodeError | undefined;
  for (const dir of dirs) {
    const found = resolvePackage(spec, dir);
    if (typeof found === 'string') return realpath(found);
    notFound = found;
  }
  const err = notFound as NodeError;
  const hint = didYouMean(closestMatches(spec, options.knownNames ?? []));
  const from = dirs.join(' or ');
  throw new SsbenchError(
    'plugin',
    `plugin package "${spec}" could not be found from ${from}; install it (e.g. \`pnpm add ${spec}\`) or give a path starting with "./"`,
    hint === undefined ? { cause: err } : { hint, cause: err },
  );
}

/** The entry file of package `spec` resolved from `dir`; the Node error when it is not installed there. */
function resolvePackage(spec: string, dir: string): string | NodeError {
  const req = createRequire(path.join(dir, '__ssbench_resolve__.js'));
  try {
    return req.resolve(spec);
  } catch (e) {
    const err = e as NodeError;
    if (err.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
      const viaImport = resolveImportExport(spec, dir);
      if (viaImport !== undefined) return viaImport;
      throw new SsbenchError('plugin', `plugin package "${spec}" exports no entry point ssbench can import: ${err.message}`, {
        cause: err,
      });
    }
    if (err.code === 'MODULE_NOT_FOUND' && /package\.json/.test(err.message) && packageDir(spec, dir) !== undefined) {
      throw new SsbenchError('plugin', `plugin package "${spec}" is installed but its entry point is missing: ${err.message}`, {
        cause: err,
      });
    }
    if (err.code === 'MODULE_NOT_FOUND') return err;
    throw new SsbenchError('plugin', `plugin "${spec}" could not be resolved: ${err.message}`, { cause: err });
  }
}

/** `<dir>/node_modules/<name>` for the nearest directory at or above baseDir that has it. */
function packageDir(spec: string, baseDir: string): string | undefined {
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  for (let dir = baseDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Resolves an `exports` target with the import conditions (for ESM-only packages that require cannot see). */
function pickExport(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = pickExport(t);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  if (typeof target === 'object' && target !== null) {
    const t = target as Record<string, unknown>;
    for (const cond of ['import', 'node', 'default']) {
      if (cond in t) {
        const r = pickExport(t[cond]);
        if (r !== undefined) return r;
      }
    }
  }
  return undefined;
}

function resolveImportExport(spec: string, baseDir: string): string | undefined {
  const dir = packageDir(spec, baseDir);
  if (dir === undefined) return undefined;
  let pkg: { exports?: unknown };
  try {
    pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { exports?: unknown };
  } catch {
    return undefined;
  }
  const parts = spec.split('/');
  const sub = spec.startsWith('@') ? parts.slice(2) : parts.slice(1);
  const key = sub.length === 0 ? '.' : `./${sub.join('/')}`;
  const exp = pkg.exports;
  let target: unknown;
  if (typeof exp === 'string' || Array.isArray(exp)) target = key === '.' ? exp : undefined;
  else if (typeof exp === 'object' && exp !== null) {
    const e = exp as Record<string, unknown>;
    const hasSubpaths = Object.keys(e).some((k) => k.startsWith('.'));
    target = hasSubpaths ? e[key] : key === '.' ? e : undefined;
  }
  const rel = pickExport(target);
  if (rel === undefined) return undefined;
  const file = path.resolve(dir, rel);
  return existsSync(file) ? file : undefined;
}
