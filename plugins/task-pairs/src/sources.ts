/**
 * Where a data file comes from: a local path, or a URL pinned by its sha256 (downloaded once with
 * `@ssbench/data`'s `fetchVerified` into `<dataDir>/downloads/<sha256>/`, refused when the digest differs).
 * Either may name a `member` of a ZIP archive (the GLUE tasks are distributed as `CoLA.zip`, `MNLI.zip`, ...).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SsbenchError, type TaskContext } from '@ssbench/core';
import { fetchVerified } from '@ssbench/data';
import { readZipMember } from './zip';

export type DataSource = { path: string; member?: string } | { url: string; sha256: string; member?: string };

export type FetchLike = typeof fetch;

/** `path/to/train.tsv`, `https://.../MNLI.zip!MNLI/train.tsv (sha256 1a2b3c4d...)`. */
export function describeSource(source: DataSource): string {
  const where = 'path' in source ? source.path : source.url;
  const member = source.member === undefined ? '' : `!${source.member}`;
  return 'url' in source ? `${where}${member} (sha256 ${source.sha256.slice(0, 12)}...)` : `${where}${member}`;
}

/**
 * The text of a data source and the name to use for it in error messages (`archive.zip!member` for a ZIP member).
 * Invalid UTF-8 is a data error; a leading byte-order mark is dropped.
 */
export async function readSource(source: DataSource, ctx: TaskContext, fetchImpl: FetchLike = fetch): Promise<{ text: string; file: string }> {
  let file: string;
  if ('url' in source) file = await fetchVerified({ url: source.url, sha256: source.sha256 }, ctx.dataDir, fetchImpl);
  else file = resolve(source.path);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new SsbenchError('data', `cannot read data file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  if (source.member !== undefined) {
    bytes = readZipMember(bytes, source.member, file);
    file = `${file}!${source.member}`;
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), file };
  } catch {
    throw new SsbenchError('data', 'is not valid UTF-8 text', { file });
  }
}
