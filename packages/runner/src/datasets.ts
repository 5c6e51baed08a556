/**
 * `ssbench data list|prepare`: the data sets every task plugin declares (source, licence, size), whether each is
 * ready on this machine, and preparing one (extracting a Debian package, downloading and verifying a URL,
 * caching a canonical form) so that runs find it.
 */
import { type DatasetStatus, PluginRegistry, SsbenchError, type TaskContext, type TaskPlugin } from '@ssbench/core';

export interface DatasetRow {
  plugin: string;
  name: string;
  description: string;
  source: string;
  licence: string;
  size: string;
  debianPackage?: string;
  status: DatasetStatus;
}

async function taskPlugins(names: readonly string[]): Promise<TaskPlugin[]> {
  const registry = new PluginRegistry();
  const out: TaskPlugin[] = [];
  for (const name of names) {
    const p = await registry.load(name, { baseDir: import.meta.dirname, knownNames: names, fromDir: import.meta.dirname });
    if (p.kind === 'task') out.push(p as TaskPlugin);
  }
  return out;
}

async function statusOf(plugin: TaskPlugin, name: string, ctx: TaskContext): Promise<DatasetStatus> {
  if (!plugin.datasetStatus) return { ready: true, detail: 'bundled with the plugin' };
  try {
    return await plugin.datasetStatus(name, ctx);
  } catch (err) {
    return { ready: false, detail: (err as Error).message };
  }
}

/** Every data set of the given task plugins, with its status on this machine. */
export async function listDatasets(pluginNames: readonly string[], ctx: TaskContext): Promise<DatasetRow[]> {
  const rows: DatasetRow[] = [];
  for (const plugin of await taskPlugins(pluginNames)) {
    for (const d of plugin.datasets ?? []) rows.push({ plugin: plugin.name, ...d, status: await statusOf(plugin, d.name, ctx) });
  }
  return rows;
}

export function formatDatasets(rows: readonly DatasetRow[]): string {
  if (rows.length === 0) return 'no data sets declared by the loaded task plugins\n';
  const lines = rows.map((r) =>
    [
      `${r.status.ready ? 'ready    ' : 'not ready'} ${r.name}  (${r.plugin})`,
      `          ${r.description}`,
      `          source: ${r.source}`,
      `          licence: ${r.licence}; size: ${r.size}`,
      `          ${r.status.detail}`,
    ].join('\n'),
  );
  return `${lines.join('\n\n')}\n`;
}

/**
 * Prepares the named data sets (all of them when `names` is empty), one at a time; a failure of one is reported and
 * the others still run. Returns each outcome.
 */
export async function prepareDatasets(
  pluginNames: readonly string[],
  names: readonly string[],
  ctx: TaskContext,
  log: (line: string) => void,
): Promise<{ name: string; status: DatasetStatus }[]> {
  const plugins = await taskPlugins(pluginNames);
  const all = plugins.flatMap((p) => (p.datasets ?? []).map((d) => ({ plugin: p, name: d.name })));
  const unknown = names.filter((n) => !all.some((d) => d.name === n));
  if (unknown.length > 0)
    throw new SsbenchError('config', `unknown data set ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${all.map((d) => d.name).join(', ')}`);
  const chosen = names.length === 0 ? all : all.filter((d) => names.includes(d.name));
  const out: { name: string; status: DatasetStatus }[] = [];
  for (const { plugin, name } of chosen) {
    log(`preparing ${name} (${plugin.name})...`);
    let status: DatasetStatus;
    try {
      status = plugin.prepare ? await plugin.prepare(name, ctx) : await statusOf(plugin, name, ctx);
    } catch (err) {
      status = { ready: false, detail: (err as Error).message };
    }
    log(`  ${status.ready ? 'ready' : 'FAILED'}: ${status.detail}`);
    out.push({ name, status });
  }
  return out;
}
