/**
 * Reads one member of a ZIP archive with fflate. The GLUE tasks are distributed as ZIP files (`CoLA.zip` holds
 * `CoLA/train.tsv`, ...); this lets a data source name the archive's URL and sha256 and the member to read, so the
 * official archives can be used as they are.
 */
import { SsbenchError } from '@ssbench/core';
import { unzipSync } from 'fflate';

export function readZipMember(bytes: Uint8Array, member: string, file: string): Uint8Array {
  const names: string[] = [];
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (!f.name.endsWith('/')) names.push(f.name);
        return f.name === member;
      },
    });
  } catch (err) {
    throw new SsbenchError('data', `not a readable ZIP archive: ${(err as Error).message}`, { file });
  }
  const data = files[member];
  if (!data) throw new SsbenchError('data', `the archive has no member "${member}" (members: ${names.join(', ')})`, { file });
  return data;
}
