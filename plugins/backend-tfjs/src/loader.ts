/**
 * Loading TensorFlow.js for one device, lazily (nothing is imported until `probe` or `create` runs).
 *
 * - cpu, wasm: `@tensorflow/tfjs` (+ `@tensorflow/tfjs-backend-wasm`), dependencies of this package.
 * - node, node-gpu: `@tensorflow/tfjs-node` / `@tensorflow/tfjs-node-gpu`, optional: they are not dependencies
 *   (their install downloads libtensorflow, which fails on machines without network access to it), so they are
 *   detected at run time and reported unavailable with a reason when missing or broken.
 *
 * The importer is injectable so that the success path of the optional bindings can be unit-tested with a fake
 * module.
 */
import type * as tfjs from '@tensorflow/tfjs';

export type TF = typeof tfjs;

export const DEVICES = ['cpu', 'wasm', 'node', 'node-gpu'] as const;
export type Device = (typeof DEVICES)[number];

/** Dynamic `import()`; tests pass a fake. */
export type Importer = (specifier: string) => Promise<unknown>;

export const defaultImporter: Importer = (specifier) => import(/* @vite-ignore */ specifier);

/** npm package of the optional native bindings per device. */
export const NODE_PACKAGES: Readonly<Record<'node' | 'node-gpu', string>> = {
  node: '@tensorflow/tfjs-node',
  'node-gpu': '@tensorflow/tfjs-node-gpu',
};

/** The tfjs backend name each device selects (`tf.setBackend`). Both native bindings register 'tensorflow'. */
export const BACKEND_NAMES: Readonly<Record<Device, string>> = {
  cpu: 'cpu',
  wasm: 'wasm',
  node: 'tensorflow',
  'node-gpu': 'tensorflow',
};

export interface LoadedModules {
  readonly device: Device;
  /** The tfjs namespace whose engine runs the graphs (tfjs-node re-exports tfjs). */
  readonly tf: TF;
  /** The tfjs backend name to select. */
  readonly backendName: string;
  /** Version of the package that provides the device, e.g. "4.22.0". */
  readonly version: string;
  /** Package that provides the device, e.g. "@tensorflow/tfjs-backend-wasm". */
  readonly packageName: string;
  /** wasm only: the `setWasmPaths` function and the dist/ folder holding the .wasm binaries. */
  readonly wasm?: { setWasmPaths: (prefix: string) => void; distDir: string };
}

export type LoadResult = { ok: true; modules: LoadedModules } | { ok: false; reason: string };

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0];
  return String(e);
}

/** True when `e` says that the package `pkg` itself cannot be found (as opposed to failing to load). */
export function isNotInstalledError(e: unknown, pkg: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  const msg = errorText(e);
  const mentionsPkg = msg.includes(`'${pkg}'`) || msg.includes(`"${pkg}"`) || msg.includes(` ${pkg} `) || msg.endsWith(` ${pkg}`);
  if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && mentionsPkg) return true;
  // vite / vitest resolvers word it differently.
  return mentionsPkg && /cannot find (package|module)|failed to (load|resolve)/i.test(msg);
}

function moduleDefault(mod: unknown): Record<string, unknown> {
  const m = mod as Record<string, unknown> | null;
  if (m && typeof m === 'object' && typeof m.tidy !== 'function' && m.default && typeof m.default === 'object') {
    return m.default as Record<string, unknown>;
  }
  return (m ?? {}) as Record<string, unknown>;
}

function versionOf(tf: Record<string, unknown>, key: string): string | undefined {
  const v = tf.version as Record<string, string> | undefined;
  return v?.[key];
}

/**
 * Imports the modules a device needs, without selecting a backend. Never throws: a missing or broken package
 * is `{ ok: false, reason }`.
 */
export async function loadModules(device: Device, importer: Importer = defaultImporter): Promise<LoadResult> {
  if (!(DEVICES as readonly string[]).includes(device)) {
    return { ok: false, reason: `unknown device "${device}" (known: ${DEVICES.join(', ')})` };
  }
  if (device === 'node' || device === 'node-gpu') {
    const pkg = NODE_PACKAGES[device];
    let mod: unknown;
    try {
      mod = await importer(pkg);
    } catch (e) {
      if (isNotInstalledError(e, pkg)) return { ok: false, reason: `package ${pkg} is not installed (npm i ${pkg})` };
      return { ok: false, reason: `package ${pkg} failed to load: ${errorText(e)}` };
    }
    const tf = moduleDefault(mod);
    if (typeof tf.tidy !== 'function' || typeof tf.setBackend !== 'function') {
      return { ok: false, reason: `package ${pkg} loaded but does not look like a TensorFlow.js namespace` };
    }
    const version = versionOf(tf, device === 'node-gpu' ? 'tfjs-node-gpu' : 'tfjs-node') ?? versionOf(tf, 'tfjs-node') ?? versionOf(tf, 'tfjs-core') ?? 'unknown';
    return { ok: true, modules: { device, tf: tf as unknown as TF, backendName: BACKEND_NAMES[device], version, packageName: pkg } };
  }

  let tf: Record<string, unknown>;
  try {
    tf = moduleDefault(await importer('@tensorflow/tfjs'));
  } catch (e) {
    return { ok: false, reason: `package @tensorflow/tfjs failed to load: ${errorText(e)}` };
  }
  const core = versionOf(tf, 'tfjs-core') ?? versionOf(tf, 'tfjs') ?? 'unknown';
  if (device === 'cpu') {
    return { ok: true, modules: { device, tf: tf as unknown as TF, backendName: 'cpu', version: core, packageName: '@tensorflow/tfjs' } };
  }

  // wasm
  const pkg = '@tensorflow/tfjs-backend-wasm';
  let wasm: Record<string, unknown>;
  try {
    wasm = moduleDefault(await importer(pkg));
  } catch (e) {
    if (isNotInstalledError(e, pkg)) return { ok: false, reason: `package ${pkg} is not installed (npm i ${pkg})` };
    return { ok: false, reason: `package ${pkg} failed to load: ${errorText(e)}` };
  }
  const setWasmPaths = wasm.setWasmPaths as ((prefix: string) => void) | undefined;
  if (typeof setWasmPaths !== 'function') return { ok: false, reason: `package ${pkg} has no setWasmPaths()` };
  let distDir: string;
  try {
    distDir = await wasmDistDir();
  } catch (e) {
    return { ok: false, reason: `cannot locate the .wasm binaries of ${pkg}: ${errorText(e)}` };
  }
  const version = (wasm.version_wasm as string | undefined) ?? core;
  return { ok: true, modules: { device, tf: tf as unknown as TF, backendName: 'wasm', version, packageName: pkg, wasm: { setWasmPaths, distDir } } };
}

/** `<@tensorflow/tfjs-backend-wasm>/dist/` (with the trailing slash setWasmPaths wants), checked to hold the binaries. */
async function wasmDistDir(): Promise<string> {
  const { createRequire } = await import('node:module');
  const path = await import('node:path');
  const fs = await import('node:fs');
  const require = createRequire(import.meta.url);
  const main = require.resolve('@tensorflow/tfjs-backend-wasm');
  const dir = path.dirname(main);
  const binary = path.join(dir, 'tfjs-backend-wasm-simd.wasm');
  if (!fs.existsSync(binary)) throw new Error(`${binary} does not exist`);
  return dir + path.sep;
}
