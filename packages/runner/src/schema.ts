/** The published config schema (`schema.json`): core's schema with the options schemas of the bundled plugins. */
import { type Plugin, PluginRegistry, generatePublishedSchema } from '@ssbench/core';
import { BUNDLED_PLUGINS } from './experiment';

export async function publishedSchema(): Promise<Record<string, unknown>> {
  const registry = new PluginRegistry();
  const infos = [];
  for (const name of BUNDLED_PLUGINS) {
    const p = (await registry.load(name, { baseDir: import.meta.dirname, fromDir: import.meta.dirname, knownNames: BUNDLED_PLUGINS })) as Plugin;
    infos.push({ kind: p.kind, plugin: p.name, optionsSchema: p.optionsSchema });
  }
  return generatePublishedSchema(infos);
}

export function schemaText(schema: Record<string, unknown>): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
