/**
 * Test fixture (not exported): real pretraining text for the property tests. The first 200 State of the Union
 * addresses, a 2,000-token WordPiece vocabulary trained on them, and every sentence tokenised.
 */
import { loadSotu } from '@ssbench/corpora';
import { trainWordPiece, type WordPiece } from '@ssbench/tokenizers';

export interface SotuFixture {
  readonly wp: WordPiece;
  /** documents -> sentences -> ids */
  readonly docs: number[][][];
  /** The five special ids as a list (never masked, never drawn as random tokens). */
  readonly specials: number[];
}

export function loadSotuFixture(): SotuFixture {
  const corpus = loadSotu({ maxDocuments: 200 });
  const wp = trainWordPiece(
    corpus.documents.flatMap((d) => d.sentences),
    { vocabSize: 2000 },
  );
  const docs = corpus.documents.map((d) => d.sentences.map((s) => wp.encode(s).ids).filter((s) => s.length > 0));
  return { wp, docs, specials: Object.values(wp.specialIds) };
}
