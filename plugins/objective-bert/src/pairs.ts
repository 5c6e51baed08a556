/**
 * Sentence-pair examples for BERT: the `[CLS] A [SEP] B [SEP]` layout with token types, pair truncation, and
 * next-sentence-prediction (NSP) instances drawn from documents.
 *
 * References: Devlin et al., "BERT" (NAACL 2019), section 3.1 "Task #2: Next Sentence Prediction";
 * google-research/bert `create_pretraining_data.py` (`create_training_instances`, `create_instances_from_document`,
 * `truncate_seq_pair`) and `run_classifier.py` (`_truncate_seq_pair`),
 * https://github.com/google-research/bert/blob/master/create_pretraining_data.py
 *
 * Semantics kept from `create_instances_from_document`, including the order of random draws:
 *  - maxNumTokens = maxSeqLen - 3; the target length is maxNumTokens, or with `shortSeqProb` a uniform integer in
 *    [2, maxNumTokens]; it is drawn once per document.
 *  - Sentences are accumulated into a chunk until the chunk reaches the target length or the document ends. The
 *    chunk is split at a uniform sentence boundary a_end in [1, len - 1] into A and B.
 *  - If the chunk has a single sentence, or with probability `nspProb`, B is replaced by text from a random other
 *    document (up to 10 tries to draw another index; label 1 = random), taken from a random sentence onward until
 *    it covers `target - len(A)` tokens; the chunk's unused sentences are put back for the next chunk.
 *    Otherwise B is the rest of the chunk (label 0 = is-next).
 *  - The pair is truncated to maxNumTokens by repeatedly removing one token from the longer side (B on ties),
 *    from its front or back with probability 1/2 each (`truncate_seq_pair`).
 * Empty sentences and documents are dropped first, as upstream's reader does. Masking is separate (masking.ts).
 * Sentences come as id arrays (word starts then come from `isWordStart`) or as `{ ids, wordStarts }` (the shape of
 * @ssbench/core's TokenizedCorpus and of a tokenizer's `encode`).
 */

import type { RandomSource } from '@ssbench/core';

/** The ids the pair layout needs (a tokenizer's or core's `SpecialIds` fits). */
export interface PairSpecialIds {
  readonly cls: number;
  readonly sep: number;
}

/** A packed sequence: `[CLS] A [SEP] B [SEP]` (or `[CLS] A [SEP]`), token types 0 through the first [SEP], then 1. */
export interface PackedPair {
  readonly inputIds: number[];
  readonly tokenTypeIds: number[];
}

/** One NSP pretraining example. `nspLabel` 0: B follows A in the document; 1: B is from a random document. */
export interface NspExample extends PackedPair {
  readonly nspLabel: 0 | 1;
  /** true where a token begins a word ([CLS]/[SEP] included); for whole-word masking. */
  readonly wordStarts: boolean[];
}

/** A tokenised sentence with the word starts the tokenizer reported. */
export interface TokenizedSentence {
  readonly ids: readonly number[];
  readonly wordStarts: readonly boolean[];
}

/** A sentence as token ids (no [CLS]/[SEP]), bare or with word starts. */
export type SentenceTokens = readonly number[] | TokenizedSentence;

/** A document: its sentences, bare or as `{ sentences }` (the shape of @ssbench/core's TokenizedCorpus documents). */
export type TokenizedDocument = readonly SentenceTokens[] | { readonly sentences: readonly SentenceTokens[] };

/** A corpus for NSP: documents -> sentences. */
export type TokenizedDocuments = readonly TokenizedDocument[];

function sentencesOf(d: TokenizedDocument): readonly SentenceTokens[] {
  return Array.isArray(d) ? (d as readonly SentenceTokens[]) : (d as { readonly sentences: readonly SentenceTokens[] }).sentences;
}

/** Options of {@link makeNspExamples} and {@link makeSentencePairs}. */
export interface NspOptions {
  /** Length of every example, [CLS] and [SEP]s included (upstream `max_seq_length`). At least 5. */
  readonly maxSeqLen: number;
  /** Probability of a shorter target length for a document. Default 0.1. */
  readonly shortSeqProb?: number;
  /** Probability that B is replaced by a random document's text (label 1). Default 0.5. */
  readonly nspProb?: number;
  /** Seeded randomness (`Rng` from @ssbench/core). */
  readonly rng: RandomSource;
  readonly specialIds: PairSpecialIds;
  /**
   * false for "##" continuation pieces (a tokenizer's `isWordStart`). Required when sentences are bare id arrays;
   * unused for `{ ids, wordStarts }` sentences.
   */
  readonly isWordStart?: (id: number) => boolean;
}

/** Options of {@link makeSentencePairs}. */
export interface SentencePairOptions extends NspOptions {
  /** Passes over the corpus, each drawing different pairs (upstream `dupe_factor`). Default 1. */
  readonly dupeFactor?: number;
  /** Shuffle the examples at the end, as upstream. Default true. */
  readonly shuffle?: boolean;
}

/**
 * Truncate `a` and `b` in place until `a.length + b.length <= maxTokens`, one token at a time from the longer one
 * (`b` on ties). With `rng` (pretraining, upstream `truncate_seq_pair`) the token comes from the front or the back
 * with probability 1/2; without (fine-tuning, upstream `run_classifier._truncate_seq_pair`) from the back.
 */
export function truncateSeqPair(a: number[], b: number[], maxTokens: number, rng?: RandomSource): void {
  const r = truncationRanges(a.length, b.length, maxTokens, rng);
  b.splice(r.bEnd);
  b.splice(0, r.bStart);
  a.splice(r.aEnd);
  a.splice(0, r.aStart);
}

interface Ranges {
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

/** The slices `truncateSeqPair` keeps, computed without moving elements (same random draws, same order). */
function truncationRanges(aLen: number, bLen: number, maxTokens: number, rng?: RandomSource): Ranges {
  const r: Ranges = { aStart: 0, aEnd: aLen, bStart: 0, bEnd: bLen };
  for (;;) {
    const la = r.aEnd - r.aStart;
    const lb = r.bEnd - r.bStart;
    if (la + lb <= maxTokens) return r;
    const front = rng !== undefined && rng.next() < 0.5;
    if (la > lb) {
      if (front) r.aStart++;
      else r.aEnd--;
    } else if (front) r.bStart++;
    else r.bEnd--;
  }
}

/**
 * Lay out `[CLS] a [SEP] b [SEP]` with token types 0 then 1, truncating the pair (see {@link truncateSeqPair}) so
 * that the result has at most `maxLen` ids. `b = null` gives the single-segment layout `[CLS] a [SEP]`. No padding.
 */
export function packPair(
  a: readonly number[],
  b: readonly number[] | null,
  maxLen: number,
  specialIds: PairSpecialIds,
  rng?: RandomSource,
): PackedPair {
  const reserved = b === null ? 2 : 3;
  if (!Number.isInteger(maxLen) || maxLen < reserved) {
    throw new Error(`packPair: maxLen must be an integer >= ${reserved}, got ${maxLen}`);
  }
  if (b === null) {
    const inputIds = [specialIds.cls, ...a.slice(0, maxLen - reserved), specialIds.sep];
    return { inputIds, tokenTypeIds: new Array<number>(inputIds.length).fill(0) };
  }
  const r = truncationRanges(a.length, b.length, maxLen - reserved, rng);
  const inputIds = [specialIds.cls];
  const tokenTypeIds = [0];
  for (let k = r.aStart; k < r.aEnd; k++) inputIds.push(a[k]);
  inputIds.push(specialIds.sep);
  while (tokenTypeIds.length < inputIds.length) tokenTypeIds.push(0);
  for (let k = r.bStart; k < r.bEnd; k++) inputIds.push(b[k]);
  inputIds.push(specialIds.sep);
  while (tokenTypeIds.length < inputIds.length) tokenTypeIds.push(1);
  return { inputIds, tokenTypeIds };
}

function checkOptions(o: NspOptions, fn: string): { shortSeqProb: number; nspProb: number; maxNumTokens: number } {
  const shortSeqProb = o.shortSeqProb ?? 0.1;
  const nspProb = o.nspProb ?? 0.5;
  if (!Number.isInteger(o.maxSeqLen) || o.maxSeqLen < 5) {
    throw new Error(`${fn}: maxSeqLen must be an integer >= 5, got ${o.maxSeqLen}`);
  }
  if (!(shortSeqProb >= 0 && shortSeqProb <= 1)) {
    throw new Error(`${fn}: shortSeqProb must be in [0, 1], got ${shortSeqProb}`);
  }
  if (!(nspProb >= 0 && nspProb <= 1)) throw new Error(`${fn}: nspProb must be in [0, 1], got ${nspProb}`);
  return { shortSeqProb, nspProb, maxNumTokens: o.maxSeqLen - 3 };
}

/** A sentence with its word starts resolved. */
interface Sentence {
  readonly ids: readonly number[];
  readonly ws: readonly boolean[];
}

function resolveSentence(s: SentenceTokens, o: NspOptions, fn: string, where: string): Sentence {
  if (Array.isArray(s)) {
    const ids = s as readonly number[];
    const isWordStart = o.isWordStart;
    if (isWordStart === undefined) {
      throw new Error(`${fn}: sentences given as id arrays need options.isWordStart (${where})`);
    }
    return { ids, ws: ids.map((id) => isWordStart(id)) };
  }
  const t = s as TokenizedSentence;
  if (t.wordStarts.length !== t.ids.length) {
    throw new Error(`${fn}: ${where} has ${t.ids.length} ids but ${t.wordStarts.length} wordStarts`);
  }
  return { ids: t.ids, ws: t.wordStarts };
}

function sentenceLength(s: SentenceTokens): number {
  return Array.isArray(s) ? s.length : (s as TokenizedSentence).ids.length;
}

function instancesFromDocument(
  doc: (k: number) => readonly Sentence[],
  nDocuments: number,
  documentIndex: number,
  o: NspOptions,
  out: NspExample[],
): void {
  const { shortSeqProb, nspProb, maxNumTokens } = checkOptions(o, 'makeNspExamples');
  const { rng, specialIds } = o;
  const document = doc(documentIndex);
  let targetSeqLength = maxNumTokens;
  if (rng.next() < shortSeqProb) targetSeqLength = 2 + rng.int(maxNumTokens - 1);

  let chunk: Sentence[] = [];
  let chunkLength = 0;
  for (let i = 0; i < document.length; i++) {
    const segment = document[i];
    chunk.push(segment);
    chunkLength += segment.ids.length;
    if (i === document.length - 1 || chunkLength >= targetSeqLength) {
      const aEnd = chunk.length >= 2 ? 1 + rng.int(chunk.length - 1) : 1;
      const a: Sentence[] = chunk.slice(0, aEnd);
      let aLength = 0;
      for (const s of a) aLength += s.ids.length;
      let b: Sentence[] = [];
      let nspLabel: 0 | 1;
      if (chunk.length === 1 || rng.next() < nspProb) {
        nspLabel = 1;
        const targetBLength = targetSeqLength - aLength;
        let randomIndex = documentIndex;
        for (let t = 0; t < 10; t++) {
          randomIndex = rng.int(nDocuments);
          if (randomIndex !== documentIndex) break;
        }
        const randomDocument = doc(randomIndex);
        let bLength = 0;
        for (let j = rng.int(randomDocument.length); j < randomDocument.length; j++) {
          b.push(randomDocument[j]);
          bLength += randomDocument[j].ids.length;
          if (bLength >= targetBLength) break;
        }
        i -= chunk.length - aEnd; // put the unused sentences back
      } else {
        nspLabel = 0;
        b = chunk.slice(aEnd);
      }
      out.push(layout(a, b, maxNumTokens, specialIds, rng, nspLabel));
      chunk = [];
      chunkLength = 0;
    }
  }
}

/** Append tokens [from, to) of the concatenated `sentences` to `ids` / `ws`. */
function appendRange(sentences: readonly Sentence[], from: number, to: number, ids: number[], ws: boolean[]): void {
  let offset = 0;
  for (const s of sentences) {
    const n = s.ids.length;
    const lo = Math.max(from - offset, 0);
    const hi = Math.min(to - offset, n);
    for (let k = lo; k < hi; k++) {
      ids.push(s.ids[k]);
      ws.push(s.ws[k]);
    }
    offset += n;
    if (offset >= to) return;
  }
}

/** Concatenate, truncate (random front/back) and lay out one NSP example. */
function layout(
  a: readonly Sentence[],
  b: readonly Sentence[],
  maxNumTokens: number,
  specialIds: PairSpecialIds,
  rng: RandomSource,
  nspLabel: 0 | 1,
): NspExample {
  let aLength = 0;
  for (const s of a) aLength += s.ids.length;
  let bLength = 0;
  for (const s of b) bLength += s.ids.length;
  const r = truncationRanges(aLength, bLength, maxNumTokens, rng);
  if (r.aEnd <= r.aStart || r.bEnd <= r.bStart) throw new Error('makeNspExamples: internal error, empty segment');
  const inputIds = [specialIds.cls];
  const wordStarts = [true];
  appendRange(a, r.aStart, r.aEnd, inputIds, wordStarts);
  inputIds.push(specialIds.sep);
  wordStarts.push(true);
  const tokenTypeIds = new Array<number>(inputIds.length).fill(0);
  appendRange(b, r.bStart, r.bEnd, inputIds, wordStarts);
  inputIds.push(specialIds.sep);
  wordStarts.push(true);
  while (tokenTypeIds.length < inputIds.length) tokenTypeIds.push(1);
  return { inputIds, tokenTypeIds, nspLabel, wordStarts };
}

/**
 * NSP examples from one document (upstream `create_instances_from_document`), drawing random-next text from the
 * other documents. The documents it reads must have no empty sentences and at least one sentence (use
 * {@link makeSentencePairs}, which drops empty ones, for raw tokenizer output).
 */
export function makeNspExamples(documents: TokenizedDocuments, documentIndex: number, options: NspOptions): NspExample[] {
  const fn = 'makeNspExamples';
  if (!Number.isInteger(documentIndex) || documentIndex < 0 || documentIndex >= documents.length) {
    throw new Error(`${fn}: documentIndex ${documentIndex} is outside [0, ${documents.length})`);
  }
  const resolved = new Map<number, Sentence[]>();
  const doc = (k: number): Sentence[] => {
    let d = resolved.get(k);
    if (d === undefined) {
      const sentences = sentencesOf(documents[k]);
      if (sentences.length === 0) throw new Error(`${fn}: document ${k} has no sentences`);
      d = sentences.map((s, si) => {
        if (sentenceLength(s) === 0) throw new Error(`${fn}: document ${k}, sentence ${si} is empty`);
        return resolveSentence(s, options, fn, `document ${k}, sentence ${si}`);
      });
      resolved.set(k, d);
    }
    return d;
  };
  const out: NspExample[] = [];
  instancesFromDocument(doc, documents.length, documentIndex, options, out);
  return out;
}

/**
 * NSP examples from a whole corpus (upstream `create_training_instances` without the masking): empty sentences
 * and documents dropped, `dupeFactor` passes over every document in order, then (by default) one shuffle.
 */
export function makeSentencePairs(documents: TokenizedDocuments, options: SentencePairOptions): NspExample[] {
  const fn = 'makeSentencePairs';
  checkOptions(options, fn);
  const dupeFactor = options.dupeFactor ?? 1;
  if (!Number.isInteger(dupeFactor) || dupeFactor < 1) {
    throw new Error(`${fn}: dupeFactor must be a positive integer, got ${dupeFactor}`);
  }
  const docs: Sentence[][] = [];
  documents.forEach((d, di) => {
    const kept: Sentence[] = [];
    sentencesOf(d).forEach((s, si) => {
      if (sentenceLength(s) > 0) kept.push(resolveSentence(s, options, fn, `document ${di}, sentence ${si}`));
    });
    if (kept.length > 0) docs.push(kept);
  });
  const out: NspExample[] = [];
  for (let pass = 0; pass < dupeFactor; pass++) {
    for (let d = 0; d < docs.length; d++) instancesFromDocument((k) => docs[k], docs.length, d, options, out);
  }
  if (options.shuffle ?? true) {
    const { rng } = options;
    for (let i = out.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
  }
  return out;
}
