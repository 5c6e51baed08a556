/**
 * Sharding a plan: `ssbench run config.json --shard i/n` runs the i-th of n disjoint, balanced portions of the
 * plan, so that a sweep spreads over machines (a CI matrix, a Slurm job array) and `ssbench merge` joins the
 * results.
 *
 * The unit of assignment is a fine-tuning cell together with the same cell on the other backends (its parity
 * group: a non-reference backend's loss-curve parity is measured against the reference backend's finished cell,
 * so the two must run in the same shard to give the same record as an unsharded run), or one in-context or probe
 * cell.
 * Units are sorted (larger first, then by key) and each goes to the shard with the fewest cells so far (the
 * lowest index on ties): shards' cell counts differ by at most the size of a unit (the number of backends), and
 * the assignment depends only on the plan, so every machine computes the same one.
 *
 * A pretraining job belongs to every shard that has a cell needing its checkpoint, so that each shard can run
 * alone; shards that share the cache directory (or run after a pretraining-only job) find the checkpoint there
 * instead of pretraining again. Pretraining jobs that no cell needs are dealt round-robin, so the shards
 * together always cover the whole plan. With `only: 'pretrain'` the shards partition the pretraining jobs
 * themselves (round-robin over their sorted keys): a first job array can pretrain in parallel into a shared
 * cache, then a second one fine-tunes.
 */
import { SsbenchError } from '@ssbench/core';
import { type FinetuneCell, type IncontextCell, type Plan, type PretrainJob, type ProbeCell, cellInit, cellKey } from './plan';

export type PlanCell = PretrainJob | FinetuneCell | IncontextCell | ProbeCell;

/** A cell that may start from a pretraining checkpoint (everything but pretraining jobs). */
type DependentCell = FinetuneCell | IncontextCell | ProbeCell;

/** Which kinds of cells to run (`--only`); the other kinds bring the pretraining they need. */
export type CellKind = PlanCell['kind'];

export const CELL_KINDS: readonly CellKind[] = Object.freeze(['pretrain', 'finetune', 'incontext', 'probe']);

/** The `index`-th (1-based) of `count` shards. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parses `i/n` (1 <= i <= n, integers); anything else is a config error that says what is expected. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count)
    throw new SsbenchError(
      'config',
      `--shard must be i/n with whole numbers 1 <= i <= n (shard i of n, counted from 1), e.g. --shard 2/4; got "${text}"`,
    );
  return { index, count };
}

/** The results subdirectory of a shard when no --output is given: `shard-2-of-4`. */
export function shardDirName(shard: Shard): string {
  return `shard-${shard.index}-of-${shard.count}`;
}

export interface Selection {
  /** Whether a cell of the plan is selected (pass as `RunOptions.filter`). */
  readonly filter: (cell: PlanCell) => boolean;
  /** The selected cells, in plan order. */
  readonly pretrain: readonly PretrainJob[];
  readonly finetune: readonly FinetuneCell[];
  readonly incontext: readonly IncontextCell[];
  readonly probes: readonly ProbeCell[];
}

export interface SelectOptions {
  shard?: Shard;
  only?: CellKind;
}

/** Key of the pretraining job a cell starts from ("" for cells trained from scratch). */
function neededJobKey(cell: DependentCell, plan: Plan): string {
  if (cell.pretraining === null) return '';
  const job = plan.pretrain.find((p) => p.model === cell.model && p.pretraining === cell.pretraining);
  return job ? cellKey(job) : '';
}

/** The same cell on every backend shares a unit (see the module comment). */
function unitKey(cell: DependentCell): string {
  if (cell.kind !== 'finetune') return cellKey(cell);
  return JSON.stringify(['finetune', cell.model, cell.pretraining, cellInit(cell), cell.task, cell.seed]);
}

/**
 * The shard (1-based) of every fine-tuning, in-context and probe cell, by cellKey: a partition of those cells into
 * `count` shards whose sizes differ by at most the number of backends.
 */
export function assignShards(plan: Plan, count: number): Map<string, number> {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`assignShards: count must be a whole number >= 1, got ${count}`);
  const units = new Map<string, DependentCell[]>();
  for (const c of dependents(plan)) {
    const k = unitKey(c);
    const u = units.get(k);
    if (u) u.push(c);
    else units.set(k, [c]);
  }
  const order = [...units.entries()].sort(([ka, a], [kb, b]) => b.length - a.length || (ka < kb ? -1 : ka > kb ? 1 : 0));
  const sizes = new Array<number>(count).fill(0);
  const shardOf = new Map<string, number>();
  for (const [, cells] of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (sizes[s] < sizes[best]) best = s;
    sizes[best] += cells.length;
    for (const c of cells) shardOf.set(cellKey(c), best + 1);
  }
  return shardOf;
}

/** Every cell but the pretraining jobs, in plan order. */
function dependents(plan: Plan): DependentCell[] {
  return [...plan.finetune, ...plan.incontext, ...plan.probes];
}

/** Deals keys round-robin in sorted order: key -> shard (1-based). */
function dealRoundRobin(keys: readonly string[], count: number): Map<string, number> {
  return new Map([...keys].sort().map((k, i) => [k, (i % count) + 1]));
}

/**
 * The cells a run executes for a shard and/or a kind of cell. Without options: the whole plan. The union of
 * the n shards' selections is the whole plan; every cell but the pretraining jobs is in exactly one shard.
 */
export function selectCells(plan: Plan, options: SelectOptions = {}): Selection {
  const { shard, only } = options;
  if (shard) parseShard(`${shard.index}/${shard.count}`); // validates a hand-made Shard the same way
  const keys = new Set<string>();
  const mine = (c: DependentCell, shardOf: Map<string, number> | null) => !shardOf || shardOf.get(cellKey(c)) === shard?.index;

  if (only === 'pretrain') {
    const dealt = shard ? dealRoundRobin(plan.pretrain.map(cellKey), shard.count) : null;
    for (const j of plan.pretrain) if (!dealt || dealt.get(cellKey(j)) === shard?.index) keys.add(cellKey(j));
  } else {
    const shardOf = shard ? assignShards(plan, shard.count) : null;
    const neededAnywhere = new Set<string>();
    for (const c of dependents(plan)) {
      neededAnywhere.add(neededJobKey(c, plan));
      if (only !== undefined && c.kind !== only) continue;
      if (!mine(c, shardOf)) continue;
      keys.add(cellKey(c));
      const job = neededJobKey(c, plan);
      if (job) keys.add(job);
    }
    // Pretraining jobs no cell needs: still run somewhere (dealt round-robin), unless only other kinds are asked for.
    if (only === undefined) {
      const orphans = plan.pretrain.map(cellKey).filter((k) => !neededAnywhere.has(k));
      const dealt = shard ? dealRoundRobin(orphans, shard.count) : null;
      for (const k of orphans) if (!dealt || dealt.get(k) === shard?.index) keys.add(k);
    }
  }
  const filter = (cell: PlanCell) => keys.has(cellKey(cell));
  return {
    filter,
    pretrain: plan.pretrain.filter(filter),
    finetune: plan.finetune.filter(filter),
    incontext: plan.incontext.filter(filter),
    probes: plan.probes.filter(filter),
  };
}

/** One line for the run's log: what a selection holds out of the plan. */
export function describeSelection(plan: Plan, selection: Selection, options: SelectOptions = {}): string {
  const what = [options.shard ? `shard ${options.shard.index}/${options.shard.count}` : '', options.only ? `only ${options.only}` : ''].filter(Boolean).join(', ');
  const of = (a: readonly unknown[], b: readonly unknown[]) => `${a.length} of ${b.length}`;
  return `${what || 'all cells'}: ${of(selection.pretrain, plan.pretrain)} pretraining job(s), ${of(selection.finetune, plan.finetune)} fine-tuning cell(s), ${of(selection.incontext, plan.incontext)} in-context cell(s)${plan.probes.length ? `, ${of(selection.probes, plan.probes)} probe cell(s)` : ''}`;
}
