import { GraphBuilder, tensor } from '@ssbench/graph';
import { describe, expect, it } from 'vitest';
import plugin, { PLUGIN_NAME, isNotInstalledError, loadModules, makePlugin } from './index';
import type { Importer } from './loader';

describe('plugin object', () => {
  it('names, devices and options schema', () => {
    expect(plugin.kind).toBe('backend');
    expect(plugin.name).toBe('@ssbench/backend-tfjs');
    expect(plugin.name).toBe(PLUGIN_NAME);
    expect(plugin.devices).toEqual(['cpu', 'wasm', 'node', 'node-gpu']);
    const device = (plugin.optionsSchema.properties as Record<string, { enum: string[]; default: string }>).device;
    expect(device.enum).toEqual(['cpu', 'wasm', 'node', 'node-gpu']);
    expect(device.default).toBe('wasm');
  });

  it('probes cpu and wasm as available with the tfjs version', async () => {
    for (const device of ['cpu', 'wasm'] as const) {
      const a = await plugin.probe({ device });
      expect(a).toMatchObject({ available: true });
      if (a.available) expect(a.version).toMatch(/^4\.\d+\.\d+$/);
    }
  });
});

describe('optional native bindings (tfjs-node, tfjs-node-gpu)', () => {
  it('are reported unavailable with an install hint when the package is missing (the case on this machine)', async () => {
    for (const [device, pkg] of [
      ['node', '@tensorflow/tfjs-node'],
      ['node-gpu', '@tensorflow/tfjs-node-gpu'],
    ] as const) {
      const a = await plugin.probe({ device });
      expect(a).toEqual({ available: false, reason: `package ${pkg} is not installed (npm i ${pkg})` });
      await expect(plugin.create({ device })).rejects.toThrow(`device ${device} is unavailable: package ${pkg} is not installed`);
    }
  });

  it('report the import error text when the package is present but fails to load', async () => {
    const importer: Importer = async () => {
      throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');
    };
    const a = await makePlugin(importer).probe({ device: 'node-gpu' });
    expect(a).toEqual({
      available: false,
      reason: 'package @tensorflow/tfjs-node-gpu failed to load: libtensorflow.so.2: cannot open shared object file: No such file or directory',
    });
  });

  it('classifies module-not-found errors by package name', () => {
    const e = Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node' imported from /x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    expect(isNotInstalledError(e, '@tensorflow/tfjs-node')).toBe(true);
    // a missing dependency of the package is a load failure, not "not installed"
    const dep = Object.assign(new Error("Cannot find module '/x/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'"), { code: 'MODULE_NOT_FOUND' });
    expect(isNotInstalledError(dep, '@tensorflow/tfjs-node')).toBe(false);
  });

  it('succeed with an injected module: the session selects the "tensorflow" backend and runs graphs on it', async () => {
    // A fake @tensorflow/tfjs-node: the real tfjs namespace plus its version key, with setBackend recorded.
    const tf = await import('@tensorflow/tfjs');
    const selected: string[] = [];
    let active = tf.getBackend();
    const fake = {
      ...tf,
      version: { ...tf.version, 'tfjs-node': '4.22.0' },
      getBackend: () => active,
      setBackend: async (name: string) => {
        selected.push(name);
        active = name;
        return tf.setBackend('cpu'); // stands in for the native backend
      },
    };
    const importer: Importer = async (spec) => {
      if (spec === '@tensorflow/tfjs-node') return { default: fake };
      throw Object.assign(new Error(`Cannot find package '${spec}'`), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    const loaded = await loadModules('node', importer);
    expect(loaded.ok).toBe(true);
    if (loaded.ok) expect(loaded.modules.backendName).toBe('tensorflow');

    const p = makePlugin(importer);
    expect(await p.probe({ device: 'node' })).toMatchObject({ available: true, version: '4.22.0' });
    expect(await p.probe({ device: 'node-gpu' })).toMatchObject({ available: false });
    const session = await p.create({ device: 'node' });
    expect(selected).toEqual(['tensorflow']);
    expect(session.device).toBe('node');
    expect(session.version).toContain('@tensorflow/tfjs-node 4.22.0');

    const b = new GraphBuilder('tiny');
    b.output('y', b.mul(b.input('x', 'float32', [2]), 3));
    const exe = await session.compile(b.build());
    const out = await exe.run({ x: tensor('float32', [2], Float32Array.from([1, 2])) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([3, 6]);
    await exe.dispose();
    await session.dispose();
  });
});
