import { SsbenchError } from '@ssbench/core';
import { describe, expect, it } from 'vitest';
import { R_NA_INTEGER, parseRData, parseRSerialized, rClass, rDataCompression, rDataFrame } from './rdata';

// ---- a hand-written XDR serializer for test inputs (R Internals 1.8; serialize.c) ------------------------------

const T = { NIL: 254, REF: 255, SYM: 1, LIST: 2, CLO: 3, CHAR: 9, LGL: 10, INT: 13, REAL: 14, STR: 16, VEC: 19, ALTREP: 238 };
const OBJ = 1 << 8;
const ATTR = 1 << 9;
const TAG = 1 << 10;
const UTF8 = 1 << 3;
const LATIN1 = 1 << 2;
const R_NA_REAL_BITS = [0x7ff00000, 1954];

type Emit = (w: XdrWriter) => void;

class XdrWriter {
  private bytes: number[] = [];
  private symbols = new Map<string, number>();

  int(v: number): this {
    const u = v >>> 0;
    this.bytes.push(u >>> 24, (u >>> 16) & 0xff, (u >>> 8) & 0xff, u & 0xff);
    return this;
  }
  double(v: number): this {
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, v, false);
    for (let i = 0; i < 8; i++) this.bytes.push(b.getUint8(i));
    return this;
  }
  raw(bs: Iterable<number>): this {
    for (const b of bs) this.bytes.push(b);
    return this;
  }
  ascii(s: string): this {
    return this.raw([...s].map((c) => c.charCodeAt(0)));
  }
  /** A CHARSXP: flags with the encoding in the levels field, length (-1 = NA), bytes. */
  charsxp(s: string | null, encoding: 'utf8' | 'latin1' = 'utf8'): this {
    if (s === null) return this.int(T.CHAR).int(-1);
    const bytes = encoding === 'latin1' ? [...s].map((c) => c.charCodeAt(0)) : [...new TextEncoder().encode(s)];
    return this.int(T.CHAR | ((encoding === 'latin1' ? LATIN1 : UTF8) << 12))
      .int(bytes.length)
      .raw(bytes);
  }
  /** A symbol, or a REFSXP to it when written before (as R does). */
  sym(name: string): this {
    const ref = this.symbols.get(name);
    if (ref !== undefined) return this.int(T.REF | (ref << 8));
    this.int(T.SYM).charsxp(name);
    this.symbols.set(name, this.symbols.size + 1);
    return this;
  }
  /** A pairlist of (tag, value) cells ended by NILVALUE. */
  pairlist(cells: [string | null, Emit][]): this {
    for (const [tag, value] of cells) {
      this.int(T.LIST | (tag === null ? 0 : TAG));
      if (tag !== null) this.sym(tag);
      value(this);
    }
    return this.int(T.NIL);
  }
  /** Attributes after a vector's payload (only when its flags have ATTR). */
  attrs(a: [string, Emit][] | undefined): this {
    return a ? this.pairlist(a) : this;
  }
  vecFlags(type: number, a: [string, Emit][] | undefined, obj = false): this {
    return this.int(type | (a ? ATTR : 0) | (obj ? OBJ : 0));
  }
  ints(values: number[], a?: [string, Emit][], type = T.INT): this {
    this.vecFlags(type, a, a?.some(([k]) => k === 'class')).int(values.length);
    for (const v of values) this.int(v);
    return this.attrs(a);
  }
  reals(values: (number | 'NA')[], a?: [string, Emit][]): this {
    this.vecFlags(T.REAL, a).int(values.length);
    for (const v of values) v === 'NA' ? this.int(R_NA_REAL_BITS[0]).int(R_NA_REAL_BITS[1]) : this.double(v);
    return this.attrs(a);
  }
  strs(values: (string | null)[], a?: [string, Emit][], encoding: 'utf8' | 'latin1' = 'utf8'): this {
    this.vecFlags(T.STR, a).int(values.length);
    for (const v of values) this.charsxp(v, encoding);
    return this.attrs(a);
  }
  list(items: Emit[], a?: [string, Emit][]): this {
    this.vecFlags(T.VEC, a, a?.some(([k]) => k === 'class')).int(items.length);
    for (const it of items) it(this);
    return this.attrs(a);
  }
  /** Serialization header: "X\n", version, writer version (R 4.3.1), minimal reader version. */
  header(version: 2 | 3): this {
    this.ascii('X\n').int(version).int(0x040301).int(version === 3 ? 0x030500 : 0x020300);
    if (version === 3) this.int(5).ascii('UTF-8');
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** A data frame like R's `data.frame(kind = factor(c("b","a","b")), n = c(1L, NA, 3L), x = c(0.5, NA, 2), s = c("é", NA, "z"), ok = c(TRUE, NA, FALSE))`. */
const tinyDataFrame: Emit = (w) =>
  w.list(
    [
      (w) =>
        w.ints(
          [2, 1, 2],
          [
            ['levels', (w) => w.strs(['a', 'b'])],
            ['class', (w) => w.strs(['factor'])],
          ],
        ),
      (w) => w.ints([1, R_NA_INTEGER, 3]),
      (w) => w.reals([0.5, 'NA', 2]),
      (w) => w.strs(['é', null, 'z'], undefined, 'latin1'),
      (w) => w.ints([1, R_NA_INTEGER, 0], undefined, T.LGL),
    ],
    [
      ['names', (w) => w.strs(['kind', 'n', 'x', 's', 'ok'])],
      ['class', (w) => w.strs(['data.frame'])],
      ['row.names', (w) => w.ints([R_NA_INTEGER, -3])],
    ],
  );

function rda(objects: [string, Emit][], version: 2 | 3 = 2): Uint8Array {
  return new XdrWriter()
    .ascii(`RDX${version}\n`)
    .header(version)
    .pairlist(objects)
    .done();
}

function dataError(f: () => unknown): SsbenchError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SsbenchError);
    expect((e as SsbenchError).code).toBe('data');
    return e as SsbenchError;
  }
  throw new Error('expected a data error');
}

describe('parseRData', () => {
  it('reads a saved data frame with a factor, NAs, Latin-1 strings and back-referenced symbols', () => {
    const bytes = rda([
      ['df', tinyDataFrame],
      ['v', (w) => w.ints([7, 8])],
    ]);
    const objects = parseRData(bytes, 'tiny.rda');
    expect([...objects.keys()]).toEqual(['df', 'v']);
    const df = objects.get('df')!;
    expect(rClass(df)).toEqual(['data.frame']);
    const frame = rDataFrame(df, 'tiny.rda');
    expect(frame.rowCount).toBe(3);
    expect(frame.rowNames).toBeNull();
    expect(frame.columns.map((c) => [c.name, c.kind])).toEqual([
      ['kind', 'factor'],
      ['n', 'integer'],
      ['x', 'double'],
      ['s', 'character'],
      ['ok', 'logical'],
    ]);
    const [kind, n, x, s, ok] = frame.columns;
    if (kind.kind !== 'factor' || n.kind !== 'integer' || x.kind !== 'double' || s.kind !== 'character' || ok.kind !== 'logical') throw new Error('kinds');
    expect(kind.levels).toEqual(['a', 'b']);
    expect([...kind.codes]).toEqual([1, 0, 1]);
    expect(kind.ordered).toBe(false);
    expect(n.values).toEqual([1, null, 3]);
    expect(x.values[0]).toBe(0.5);
    expect(Number.isNaN(x.values[1])).toBe(true);
    expect(x.values[2]).toBe(2);
    expect(s.values).toEqual(['é', null, 'z']);
    expect(ok.values).toEqual([true, null, false]);
    const v = objects.get('v')!;
    expect(v.type === 'integer' && [...v.data]).toEqual([7, 8]);
  });

  it('reads format version 3 (native encoding in the header) and expands a compact_intseq ALTREP', () => {
    const altrepSeq: Emit = (w) => {
      w.int(T.ALTREP);
      w.pairlist([
        [null, (w) => w.sym('compact_intseq')],
        [null, (w) => w.sym('base')],
        [null, (w) => w.ints([13])],
      ]);
      w.reals([4, 10, 1]); // state: length 4, from 10, by 1
      w.int(T.NIL); // no attributes
    };
    const objects = parseRData(rda([['s', altrepSeq]], 3), 'v3.rda');
    const s = objects.get('s')!;
    expect(s.type).toBe('integer');
    expect(s.type === 'integer' && [...s.data]).toEqual([10, 11, 12, 13]);
  });

  it('unwraps a wrap_integer ALTREP (state: a dotted pair) and refuses other ALTREP classes', () => {
    const altrepInfo = (cls: string) => (w: XdrWriter) =>
      w.pairlist([
        [null, (w) => w.sym(cls)],
        [null, (w) => w.sym('base')],
        [null, (w) => w.ints([13])],
      ]);
    const wrapped: Emit = (w) => {
      w.int(T.ALTREP);
      altrepInfo('wrap_integer')(w);
      w.int(T.LIST).ints([5, 6]).ints([0, 0]); // (x . metadata): no NIL after the CDR
      w.pairlist([['names', (w) => w.strs(['a', 'b'])]]);
    };
    const v = parseRData(rda([['x', wrapped]], 3), 'w.rda').get('x')!;
    expect(v.type === 'integer' && [...v.data]).toEqual([5, 6]);
    const names = v.type === 'integer' ? v.attributes.get('names') : undefined;
    expect(names?.type === 'character' && names.data).toEqual(['a', 'b']);
    const deferred: Emit = (w) => {
      w.int(T.ALTREP);
      altrepInfo('deferred_string')(w);
      w.int(T.LIST).ints([1, 2]).ints([0]);
      w.int(T.NIL);
    };
    expect(dataError(() => parseRData(rda([['d', deferred]], 3), 'd.rda')).message).toContain('unsupported ALTREP class "deferred_string"');
  });

  it('reads explicit row names and a UTF-8 string', () => {
    const bytes = rda([
      [
        'd',
        (w) =>
          w.list(
            [(w) => w.strs(['日本', 'ü'])],
            [
              ['names', (w) => w.strs(['word'])],
              ['row.names', (w) => w.strs(['r1', 'r2'])],
              ['class', (w) => w.strs(['data.frame'])],
            ],
          ),
      ],
    ]);
    const frame = rDataFrame(parseRData(bytes, 'x')!.get('d')!, 'x');
    expect(frame.rowNames).toEqual(['r1', 'r2']);
    expect(frame.columns[0].kind === 'character' && frame.columns[0].values).toEqual(['日本', 'ü']);
  });

  it('reads a long pairlist without recursing once per cell', () => {
    const cells: [string, Emit][] = Array.from({ length: 50_000 }, (_, i) => [`o${i}`, (w: XdrWriter) => w.ints([i])]);
    const objects = parseRData(rda(cells), 'many.rda');
    expect(objects.size).toBe(50_000);
    const last = objects.get('o49999')!;
    expect(last.type === 'integer' && last.data[0]).toBe(49_999);
  });

  it('says when the file is still compressed or is not an R save file', () => {
    expect(dataError(() => parseRData(Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]), 'DNA.rda')).message).toMatch(/DNA\.rda.*xz-compressed/);
    expect(dataError(() => parseRData(Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0]), 'a.rda')).message).toMatch(/gzip-compressed/);
    expect(dataError(() => parseRData(new TextEncoder().encode('hello world'), 'a.txt')).message).toMatch(/not an R save\(\) file/);
    const ascii = new XdrWriter().ascii('RDX2\nA\n2\n').done();
    expect(dataError(() => parseRData(ascii, 'a.rda')).message).toMatch(/ASCII serialization is not supported/);
    const v4 = new XdrWriter().ascii('RDX2\nX\n').int(4).int(0).int(0).done();
    expect(dataError(() => parseRData(v4, 'a.rda')).message).toMatch(/version 4 is not supported/);
  });

  it('refuses unsupported object types, naming the type and the byte offset', () => {
    const w = new XdrWriter().ascii('RDX2\n').header(2);
    w.int(T.LIST | TAG).sym('f');
    const offset = w.done().length;
    w.int(T.CLO); // a function
    const e = dataError(() => parseRData(w.done(), 'f.rda'));
    expect(e.file).toBe('f.rda');
    expect(e.message).toContain('CLOSXP (function)');
    expect(e.message).toContain(`byte offset ${offset}`);
  });

  it('refuses truncated input and trailing garbage', () => {
    const bytes = rda([['df', tinyDataFrame]]);
    for (const cut of [bytes.length - 1, bytes.length - 30, 40]) expect(dataError(() => parseRData(bytes.subarray(0, cut), 't.rda')).message).toMatch(/truncated|claims/);
    const extra = Uint8Array.from([...bytes, 0, 0, 0, 0]);
    expect(dataError(() => parseRData(extra, 't.rda')).message).toMatch(/4 bytes left after/);
  });

  it('refuses a vector length larger than the remaining bytes before allocating', () => {
    const w = new XdrWriter().ascii('RDX2\n').header(2);
    w.int(T.LIST | TAG).sym('x').int(T.INT).int(0x7fffffff);
    expect(dataError(() => parseRData(w.done(), 'x.rda')).message).toMatch(/claims 2147483647 elements/);
  });
});

describe('parseRSerialized', () => {
  it('reads a single object (an .rds payload)', () => {
    const bytes = new XdrWriter()
      .header(3)
      .strs(['a', null], [['names', (w) => w.strs(['x', 'y'])]])
      .done();
    const v = parseRSerialized(bytes, 'x.rds');
    expect(v.type).toBe('character');
    if (v.type !== 'character') return;
    expect(v.data).toEqual(['a', null]);
    const names = v.attributes.get('names');
    expect(names?.type === 'character' && names.data).toEqual(['x', 'y']);
  });
});

describe('rDataFrame', () => {
  const frameWith = (col: Emit, rows = 2): Uint8Array =>
    rda([
      [
        'd',
        (w) =>
          w.list(
            [col],
            [
              ['names', (w) => w.strs(['c'])],
              ['row.names', (w) => w.ints([R_NA_INTEGER, -rows])],
              ['class', (w) => w.strs(['data.frame'])],
            ],
          ),
      ],
    ]);

  it('refuses a factor code outside its levels, naming the column and row', () => {
    const bytes = frameWith((w) =>
      w.ints(
        [1, 3],
        [
          ['levels', (w) => w.strs(['a', 'b'])],
          ['class', (w) => w.strs(['factor'])],
        ],
      ),
    );
    const e = dataError(() => rDataFrame(parseRData(bytes, 'f.rda').get('d')!, 'f.rda'));
    expect(e.message).toMatch(/f\.rda: .*column "c": row 2 has factor code 3, outside 1\.\.2/);
  });

  it('refuses a column whose length is not the row count', () => {
    const e = dataError(() => rDataFrame(parseRData(frameWith((w) => w.ints([1, 2, 3])), 'f.rda').get('d')!, 'f.rda'));
    expect(e.message).toMatch(/column "c": has 3 values but the data frame has 2 rows/);
  });

  it('refuses something that is not a data frame', () => {
    const v = parseRData(rda([['v', (w) => w.ints([1])]]), 'v.rda').get('v')!;
    expect(dataError(() => rDataFrame(v, 'v.rda')).message).toMatch(/expected a list with class "data.frame", got an object of type integer/);
  });
});

describe('rDataCompression', () => {
  it('recognises the gzip, bzip2 and xz magic bytes', () => {
    expect(rDataCompression(Uint8Array.from([0x1f, 0x8b, 8]))).toBe('gzip');
    expect(rDataCompression(new TextEncoder().encode('BZh91AY'))).toBe('bzip2');
    expect(rDataCompression(Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0]))).toBe('xz');
    expect(rDataCompression(new TextEncoder().encode('RDX2\nX\n'))).toBe('none');
  });
});
