/**
 * Symbol inputs (DNA nucleotides or k-mers, amino acids, music events) on a text vocabulary, as Kao & Lee (2021),
 * "Is BERT a Cross-Disciplinary Knowledge Learner?": every symbol of the task's alphabet is mapped to one token id
 * of the experiment's vocabulary, a fixed random assignment of distinct ids, drawn with a seed (they used 100-109)
 * from the ids at or above `skipIds` (they skipped the first 1,000), special tokens excluded. An example is then
 * `[CLS] ids [SEP]`, so a text-pretrained model sees symbols as (arbitrary) words.
 */
import { Rng, SsbenchError } from '@ssbench/core';

export interface SymbolOptions {
  seed: number;
  skipIds: number;
}

/** The config's defaults (`tasks[i].symbols` absent). */
export const DEFAULT_SYMBOL_OPTIONS: Readonly<SymbolOptions> = Object.freeze({ seed: 100, skipIds: 1000 });

/** How many ids of a vocabulary a symbol may get: those at or above skipIds that are not reserved. */
export function usableIdCount(vocabSize: number, reservedIds: readonly number[], skipIds: number): number {
  const reserved = new Set(reservedIds.filter((id) => id >= skipIds && id < vocabSize));
  return Math.max(0, vocabSize - skipIds) - reserved.size;
}

/** The message of a vocabulary too small for a task's alphabet (the same at config time and at run time). */
export function vocabularyTooSmall(taskId: string, alphabetSize: number, vocab: string, usable: number, skipIds: number): string {
  return (
    `task "${taskId}": its alphabet has ${alphabetSize} symbols but ${vocab} has only ${usable} usable token ids at or above ` +
    `skipIds ${skipIds} (special tokens excluded); lower tasks[].symbols.skipIds or use a larger vocabulary`
  );
}

/**
 * Symbol -> token id: distinct ids drawn uniformly (a partial Fisher-Yates shuffle seeded with `options.seed`) from
 * [skipIds, vocabSize) without the reserved ids. The same alphabet, vocabulary size and options always give the
 * same map. Throws a config error naming the task when the vocabulary has too few usable ids, and a plugin error
 * when the alphabet repeats a symbol.
 */
export function symbolTokenIds(
  taskId: string,
  alphabet: readonly string[],
  vocabSize: number,
  reservedIds: readonly number[],
  options: SymbolOptions,
): Map<string, number> {
  const seen = new Set<string>();
  for (const s of alphabet) {
    if (seen.has(s)) throw new SsbenchError('plugin', `task "${taskId}": its alphabet lists the symbol ${JSON.stringify(s)} twice`);
    seen.add(s);
  }
  const reserved = new Set(reservedIds);
  const candidates: number[] = [];
  for (let id = options.skipIds; id < vocabSize; id++) if (!reserved.has(id)) candidates.push(id);
  if (candidates.length < alphabet.length)
    throw new SsbenchError('config', vocabularyTooSmall(taskId, alphabet.length, `the vocabulary (${vocabSize} tokens)`, candidates.length, options.skipIds));
  const rng = new Rng(options.seed);
  const out = new Map<string, number>();
  alphabet.forEach((symbol, i) => {
    const j = i + rng.int(candidates.length - i);
    [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
    out.set(symbol, candidates[i]);
  });
  return out;
}
