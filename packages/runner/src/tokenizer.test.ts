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
  }
});
