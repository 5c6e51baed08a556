/** Timing summaries: warm-up runs are kept apart from the timed runs (median and p90 of the timed ones). */
import { median, percentile } from '@ssbench/core';

export interface Timing {
  /** Milliseconds of the warm-up runs, in order (first run first: includes one-time costs). */
  warmup: number[];
  median: number;
  p90: number;
  runs: number;
}

export function summarizeTimes(ms: readonly number[], warmupRuns: number): Timing {
  const warmup = ms.slice(0, warmupRuns).map(round3);
  const timed = ms.slice(warmupRuns);
  if (timed.length === 0) return { warmup, median: Number.NaN, p90: Number.NaN, runs: 0 };
  return { warmup, median: round3(median(timed)), p90: round3(percentile(timed, 90)), runs: timed.length };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
