import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokenizer, trainTokenizer } from './tokenizer';

const texts = [
  'The state of the union is strong.',
  'We will build roads and schools.',
  'The people of this nation deserve better schools and roads.',
  'Congress passed the budget.',
].flatMap((t) => [t, t.toLowerCase(), `${t} Again, ${t}`]);

describe('runner tokenizers', () => {
  for (const kind of ['wordpiece', 'bpe'] as const) {
    it(`${kind}: five distinct special ids, word starts, save and load give the same encoding`, () => {
      const tok = trainTokenizer(kind, texts, { vocabSize: 300, lowerCase: true });
      const ids = Object.values(tok.specialIds);
      expect(new Set(ids).size).toBe(5);
      for (const id of ids) expect(id).toBeLessThan(tok.vocabSize);
      const e = tok.encode('The roads of the nation');
      expect(e.ids.length).toBe(e.wordStarts.length);
      expect(e.wordStarts[0]).toBe(true);
      // Five words: exactly five word starts.
      expect(e.wordStarts.filter(Boolean).length).toBe(5);
      expect(e.ids.some((i) => ids.includes(i))).toBe(false);
      const dir = mkdtempSync(join(tmpdir(), `tok-${kind}-`));
      tok.save(dir);
      const back = loadTokenizer(kind, dir);
      expect(back?.encode('The roads of the nation')).toEqual(e);
      expect(back?.specialIds).toEqual(tok.specialIds);
      expect(loadTokenizer(kind, join(dir, 'missing'))).toBeUndefined();
    });

    it(`${kind}: offsets slice each token's surface out of the original text`, () => {
      const tok = trainTokenizer(kind, texts, { vocabSize: 300, lowerCase: true });
      const text = '  The People of THIS nation, again!';
      const o = tok.encodeWithOffsets(text);
      const e = tok.encode(text);
      expect(o.ids).toEqual(e.ids);
      expect(o.wordStarts).toEqual(e.wordStarts);
      const pieces = o.offsets.map(([s, t]) => text.slice(s, t));
      // The slices, joined, give the text back (spaces aside); each starts where the previous ended or later.
      expect(pieces.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
      for (let i = 1; i < o.offsets.length; i++) expect(o.offsets[i][0]).toBeGreaterThanOrEqual(o.offsets[i - 1][1]);
      if (kind === 'bpe') expect(pieces.join('')).toBe(text); // byte-level BPE keeps every character, spaces included
      expect(new Set(tok.reservedIds).size).toBe(kind === 'bpe' ? 6 : 5);
      for (const id of Object.values(tok.specialIds)) expect(tok.reservedIds).toContain(id);
    });
  }
});
