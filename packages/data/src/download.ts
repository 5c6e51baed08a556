/**
 * Downloads by URL with a pinned sha256: the standard benchmarks (GLUE, SQuAD, ...) are fetched only when a user asks,
 * verified before use, and cached; a file whose digest does not match is refused and never cached.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SsbenchError, writeFileAtomic } from '@ssbench/core';

export interface VerifiedSource {
  url: string;
  /** Lower-case hex sha256 of the file's bytes. */
  sha256: string;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Throws a data error naming `what` when the bytes do not hash to `expected`. */
export function verifySha256(bytes: Uint8Array, expected: string, what: string): void {
  const got = sha256Hex(bytes);
  if (got !== expected.toLowerCase())
    throw new SsbenchError('data', `${what}: sha256 is ${got}, expected ${expected.toLowerCase()}; refusing to use it (corrupt, truncated or a different version)`);
}

/** Path of the verified copy under `<dataDir>/downloads/<sha256>/<name>`, downloading it if needed. */
export async function fetchVerified(source: VerifiedSource, dataDir: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const dir = join(dataDir, 'downloads', source.sha256.toLowerCase());
  const file = join(dir, basename(new URL(source.url).pathname) || 'download');
  if (existsSync(file)) {
    verifySha256(readFileSync(file), source.sha256, file);
    return file;
  }
  let res: Response;
  try {
    res = await fetchImpl(source.url);
  } catch (err) {
    throw new SsbenchError('data', `could not download ${source.url}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new SsbenchError('data', `could not download ${source.url}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  verifySha256(bytes, source.sha256, source.url);
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(file, bytes);
  return file;
}
