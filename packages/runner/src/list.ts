/** `ssbench list`: the bundled plugins, and for each backend device whether it can run here (and why not). */
import { PluginRegistry, type Plugin } from '@ssbench/core';

export async function listPlugins(names: readonly string[]): Promise<string> {
  const registry = new PluginRegistry();
  const lines: string[] = [];
  for (const name of names) {
    const plugin = (await registry.load(name, { baseDir: import.meta.dirname, knownNames: names, fromDir: import.meta.dirname })) as Plugin;
    lines.push(`${plugin.kind.padEnd(9)} ${plugin.name}@${plugin.version}${plugin.description ? `  ${plugin.description}` : ''}`);
    if (plugin.kind === 'backend') {
      const key = 'executionProvider' in ((plugin.optionsSchema.properties as object) ?? {}) ? 'executionProvider' : 'device';
      for (const device of plugin.devices) {
        const a = await plugin.probe({ [key]: device } as never);
        lines.push(`            ${key}=${device}: ${a.available ? `available (${a.version})` : `unavailable: ${a.reason}`}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
