/**
 * Test fixture (not exported): real pretraining text for the property tests. The first 200 State of the Union
 * addresses, a 2,000-token WordPiece vocabulary trained on them, and consecutive sentences of each address packed into
 * `[CLS] s1 s2 ... [SEP]` sequences ([CLS] plays BOS, [SEP] EOS, [MASK] <mask>), with the word starts ("##"-free
 * pieces) and the sentence boundaries of each sequence.
 */
import { loadSotu } from '@ssbench/corpora';
import { trainWordPiece, type WordPiece } from '@ssbench/tokenizers';
import type { NoiseContext } from './options';

export interface FixtureSequence {
  readonly ids: number[];
  /** One per id: true for pieces without the "##" prefix (BOS/EOS: true, never used). */
  readonly wordStarts: boolean[];
  /** Exclusive end position of each sentence; the last is ids.length - 1. */
  readonly sentenceEnds: number[];
}

export interface Seq2seqFixture {
  readonly wp: WordPiece;
  readonly ctx: NoiseContext;
  readonly sequences: FixtureSequence[];
}

export interface FixtureOptions {
  /** Longest sequence, BOS and EOS included. Default 128. */
  readonly maxLen?: number;
  /** Stop after this many sequences. Default 6000. */
  readonly maxSequences?: number;
}

export function loadSeq2seqFixture(options: FixtureOptions = {}): Seq2seqFixture {
  const maxLen = options.maxLen ?? 128;
  const maxSequences = options.maxSequences ?? 6000;
  const corpus = loadSotu({ maxDocuments: 200 });
  const wp = trainWordPiece(
    corpus.documents.flatMap((d) => d.sentences),
    { vocabSize: 2000 },
  );
  const { cls, sep, mask } = wp.specialIds;
  const specials = Object.values(wp.specialIds);
  const ctx: NoiseContext = {
    bosId: cls,
    eosId: sep,
    maskId: mask,
    // The special ids are 0..4; random tokens are drawn from the ordinary ones.
    randomTokens: { low: Math.max(...specials) + 1, high: wp.vocab.length },
  };
  const sequences: FixtureSequence[] = [];
  for (const doc of corpus.documents) {
    let ids = [cls];
    let ends: number[] = [];
    const flush = (): void => {
      if (ends.length > 0) {
        ids.push(sep);
        sequences.push({ ids, wordStarts: ids.map((id) => wp.isWordStart(id)), sentenceEnds: ends });
      }
      ids = [cls];
      ends = [];
    };
    for (const sentence of doc.sentences) {
      const s = wp.encode(sentence).ids;
      // A sentence longer than a whole sequence is left out (a few very long ones in the older addresses).
      if (s.length === 0 || s.length > maxLen - 2) continue;
      if (ids.length + s.length + 1 > maxLen) flush();
      ids.push(...s);
      ends.push(ids.length);
      if (sequences.length >= maxSequences) break;
    }
    flush();
    if (sequences.length >= maxSequences) break;
  }
  return { wp, ctx, sequences: sequences.slice(0, maxSequences) };
}
