/**
 * Helpers of the end-to-end tests: run the `ssbench` command line as a user would (a child process, capturing
 * stdout, stderr and the exit status), fixture paths, temporary directories.
 *
 * The repository root has no dependencies on the workspace packages, so tests import them by relative path.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');

/** Path of a fixture file, relative to the repository root (as a user would type it there). */
export function fixture(...parts: string[]): string {
  return join('tests', 'fixtures', ...parts);
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const BIN = join(ROOT, 'packages', 'cli', 'src', 'bin.ts');

/** Runs `ssbench <args>` from the repository root (= `pnpm ssbench <args>`). Never rejects on a non-zero exit. */
export function ssbench(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(TSX, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 110_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (status, signal) => resolvePromise({ status, signal, stdout, stderr }));
  });
}

/** A fresh temporary directory; `cleanup()` removes every one made so far (call it in afterAll). */
export function tempDirs(prefix: string): { make: (name?: string) => string; cleanup: () => void } {
  const made: string[] = [];
  return {
    make: (name = '') => {
      const dir = mkdtempSync(join(tmpdir(), `ssbench-${prefix}${name ? `-${name}` : ''}-`));
      made.push(dir);
      return dir;
    },
    cleanup: () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Lines that look like a JavaScript stack trace ("    at fn (file:line:col)"). */
export function stackTraceLines(text: string): string[] {
  return text.split('\n').filter((l) => /^\s+at\s+\S/.test(l) || /^\S*Error:/.test(l));
}

/** The run summary the CLI prints: `results: <file> (R ran, D already done, S skipped, F failed)`. */
export function runSummary(stderr: string): { ran: number; resumed: number; skipped: number; failed: number } {
  const m = /results: .* \((\d+) ran, (\d+) already done, (\d+) skipped, (\d+) failed\)/.exec(stderr);
  if (!m) throw new Error(`no run summary in the output:\n${stderr}`);
  return { ran: Number(m[1]), resumed: Number(m[2]), skipped: Number(m[3]), failed: Number(m[4]) };
}
