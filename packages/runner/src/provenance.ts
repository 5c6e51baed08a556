/** Where a number came from: config, code version, packages, backend, machine (DESIGN.md section 4). */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import type { Experiment } from './experiment';

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  platform: string;
  node: string;
}

export function machineInfo(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    platform: `${platform()} ${release()}`,
    node: process.version,
  };
}

let cachedSha: string | null | undefined;
export function gitSha(): string | null {
  if (cachedSha !== undefined) return cachedSha;
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    cachedSha = dirty ? `${sha}-dirty` : sha;
  } catch {
    cachedSha = null;
  }
  return cachedSha;
}

export function packageVersions(exp: Experiment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of [...exp.models, ...exp.tasks, ...exp.backends, ...[...exp.objectives.values()].flat()]) out[r.plugin.name] = r.plugin.version;
  return out;
}
