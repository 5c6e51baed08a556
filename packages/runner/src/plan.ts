/**
 * The plan: the matrix models x (pretraining recipes + from scratch) x tasks x backends x seeds.
 *
 * Pretraining is shared: one job per (model, recipe), run once on the pretrain backend with the first seed and
 * cached by a hash of everything that determines it (as BERT's fine-tuning restarts share one checkpoint).
 * Every fine-tuning cell then starts from that checkpoint (or from random weights) with its own seed.
 */
import type { Experiment } from './experiment';

export interface PretrainJob {
  readonly kind: 'pretrain';
  readonly model: string;
  readonly pretraining: string;
  readonly backend: string;
  readonly seed: number;
}

export interface FinetuneCell {
  readonly kind: 'finetune';
  readonly model: string;
  /** null: trained from scratch (random initialisation, same tokenizer). */
  readonly pretraining: string | null;
  readonly task: string;
  readonly backend: string;
  readonly seed: number;
}

/** In-context evaluation of a decoder model (pretrained or not) on a task with `incontext` settings. */
export interface IncontextCell {
  readonly kind: 'incontext';
  readonly model: string;
  readonly pretraining: string | null;
  readonly task: string;
  readonly backend: string;
  readonly seed: number;
}

export interface Plan {
  readonly pretrain: readonly PretrainJob[];
  readonly finetune: readonly FinetuneCell[];
  /** Decoder models x tasks with `incontext`, on the reference backend; the seed draws the examples. */
  readonly incontext: readonly IncontextCell[];
  readonly referenceBackend: string;
  readonly pretrainBackend: string;
}

export function makePlan(exp: Experiment): Plan {
  const referenceBackend = exp.config.referenceBackend ?? exp.backends[0].id;
  const pretrainBackend = exp.config.pretrainBackend ?? referenceBackend;
  const seeds = exp.config.seeds;
  const pretrain: PretrainJob[] = [];
  for (const m of exp.models)
    for (const p of exp.pretraining.filter((r) => exp.compatible(m.id, r.id))) pretrain.push({ kind: 'pretrain', model: m.id, pretraining: p.id, backend: pretrainBackend, seed: seeds[0] });

  const inits: (string | null)[] = exp.pretraining.map((p) => p.id);
  if (exp.config.fromScratch !== false || inits.length === 0) inits.push(null);
  // The reference backend first, so that parity of the others can be computed against finished cells.
  const backends = [...exp.backends.map((b) => b.id)].sort((a, b) => Number(b === referenceBackend) - Number(a === referenceBackend));
  const initsOf = (model: string) => inits.filter((i) => i === null || exp.compatible(model, i));
  const finetune: FinetuneCell[] = [];
  for (const m of exp.models)
    for (const t of exp.tasks)
      for (const init of initsOf(m.id))
        for (const seed of seeds)
          for (const backend of backends) finetune.push({ kind: 'finetune', model: m.id, pretraining: init, task: t.id, backend, seed });
  const incontext: IncontextCell[] = [];
  for (const m of exp.models.filter((x) => x.plugin.architecture === 'decoder'))
    for (const t of exp.config.tasks.filter((x) => x.incontext))
      for (const init of initsOf(m.id))
        for (const seed of seeds) incontext.push({ kind: 'incontext', model: m.id, pretraining: init, task: t.id, backend: referenceBackend, seed });
  return { pretrain, finetune, incontext, referenceBackend, pretrainBackend };
}

/** A stable key of a cell, for resuming and for matching cells across backends. */
export function cellKey(cell: PretrainJob | FinetuneCell | IncontextCell): string {
  return cell.kind === 'pretrain'
    ? JSON.stringify(['pretrain', cell.model, cell.pretraining, cell.backend, cell.seed])
    : JSON.stringify([cell.kind, cell.model, cell.pretraining, cell.task, cell.backend, cell.seed]);
}

export function describeCell(cell: PretrainJob | FinetuneCell | IncontextCell): string {
  return cell.kind === 'pretrain'
    ? `pretrain ${cell.model} ${cell.pretraining} on ${cell.backend} (seed ${cell.seed})`
    : `${cell.kind} ${cell.model} ${cell.pretraining ?? 'scratch'} -> ${cell.task} on ${cell.backend} (seed ${cell.seed})`;
}
