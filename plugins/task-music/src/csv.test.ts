import { describe, expect, it } from 'vitest';
import { parseDelimited } from './index';

describe('label file reader', () => {
  it('reads MAESTRO-style CSV (csv-parse): quoted commas, doubled quotes, CRLF, a line break inside quotes', () => {
    const text =
      'canonical_composer,canonical_title,split,year,midi_filename,audio_filename,duration\r\n' +
      'Alban Berg,Sonata Op. 1,train,2018,2018/MIDI-Unprocessed_Chamber3_MID--AUDIO_10_R3_2018_wav--1.midi,2018/a.wav,698.661160312\r\n' +
      '"Franz Schubert","Sonata in A Minor, D. 784",validation,2006,2006/b.midi,2006/b.wav,1138.1\r\n' +
      '"Johann Sebastian Bach","Prelude ""No. 1""\r\nin C",test,2009,2009/c.midi,2009/c.wav,90\r\n' +
      '\r\n' +
      'Frédéric Chopin,Étude,train,2011,2011/d.midi,2011/d.wav,61.5';
    const t = parseDelimited(text, 'maestro.csv');
    expect(t.header).toEqual(['canonical_composer', 'canonical_title', 'split', 'year', 'midi_filename', 'audio_filename', 'duration']);
    expect(t.rows.map((r) => r.line)).toEqual([2, 3, 4, 7]);
    expect(t.rows[1].values.canonical_title).toBe('Sonata in A Minor, D. 784');
    expect(t.rows[1].values.split).toBe('validation');
    expect(t.rows[2].values.canonical_title).toBe('Prelude "No. 1"\nin C'); // line endings normalised to LF
    expect(t.rows[2].values.midi_filename).toBe('2009/c.midi');
    expect(t.rows[3].values).toMatchObject({ canonical_composer: 'Frédéric Chopin', duration: '61.5' });
  });

  it('reads TSV (detected from the header), a BOM, and empty quoted fields', () => {
    const t = parseDelimited('\ufefffile\tlabel\na.mid\tjazz\n"b, c.mid"\t""\n', 'labels.tsv');
    expect(t.header).toEqual(['file', 'label']);
    expect(t.rows.map((r) => r.values)).toEqual([
      { file: 'a.mid', label: 'jazz' },
      { file: 'b, c.mid', label: '' },
    ]);
    // An explicit delimiter wins over detection.
    expect(parseDelimited('a;b\n1;2\n', 'x.csv', ';').rows[0].values).toEqual({ a: '1', b: '2' });
  });

  it('names the file and line of malformed rows', () => {
    expect(() => parseDelimited('file,label\na.mid,jazz\nb.mid\n', 'l.csv')).toThrow(/l\.csv:3: expected 2 fields \(file,label\), found 1/);
    expect(() => parseDelimited('file,label\na.mid,"jazz\nb.mid,rock\n', 'l.csv')).toThrow(/l\.csv:\d+: .*quote/i);
    expect(() => parseDelimited('file,label\na.mid,ja"zz\n', 'l.csv')).toThrow(/l\.csv:2: .*quote/i);
    expect(() => parseDelimited('file,label\n"a.mid"x,jazz\n', 'l.csv')).toThrow(/l\.csv:2: .*quote/i);
    expect(() => parseDelimited('', 'l.csv')).toThrow(/l\.csv:1: empty label file/);
    expect(() => parseDelimited('file,file\na,b\n', 'l.csv')).toThrow(/header column "file" appears twice/);
  });
});
