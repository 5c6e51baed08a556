/**
 * Delimited label files (MAESTRO's `maestro-v3.0.0.csv`, or TSV) read with csv-parse: RFC 4180 quoting, CRLF or
 * LF, a BOM. The first row is the header. Blank lines are skipped; a row with a different number of fields than
 * the header, an unterminated quote or a stray quote is a data error naming the file and line.
 */
import { SsbenchError } from '@ssbench/core';
import { parse } from 'csv-parse/sync';

export interface Table {
  header: string[];
  /** Data rows as column -> value, with the 1-based line each row starts on. */
  rows: { line: number; values: Record<string, string> }[];
}

/** Parses delimited text. `delimiter` defaults to a tab when the first line has one, else a comma. */
export function parseDelimited(text: string, file: string, delimiter?: string): Table {
  // Line endings normalised to LF (also inside quoted fields) so csv-parse's line count is the file's.
  const src = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).replace(/\r\n?/g, '\n');
  if (src.trim() === '') throw new SsbenchError('data', 'empty label file', { file, line: 1 });
  const firstLine = src.slice(0, src.search(/\r?\n|$/));
  const delim = delimiter ?? (firstLine.includes('\t') ? '\t' : ',');
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(src, { delimiter: delim, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as typeof records;
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new SsbenchError('data', e.message.replace(/^Invalid Record Length: |^Quote Not Closed: |^Invalid Opening Quote: /, ''), { file, line: e.lines });
  }
  const [head, ...body] = records;
  const header = head.record;
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new SsbenchError('data', `header column "${h}" appears twice`, { file, line: 1 });
    seen.add(h);
  }
  const rows = body.map(({ record, info }) => {
    // csv-parse's `lines` is the line the record ends on; a record spanning lines started earlier.
    const line = info.lines - (record.join('').match(/\n/g)?.length ?? 0);
    if (record.length !== header.length)
      throw new SsbenchError('data', `expected ${header.length} fields (${header.join(',')}), found ${record.length}`, { file, line });
    return { line, values: Object.fromEntries(header.map((h, j) => [h, record[j]])) };
  });
  return { header, rows };
}
