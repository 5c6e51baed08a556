/**
 * The plan: the matrix models x (pretraining recipes [+ the same with re-initialised embeddings] + from scratch)
 * x tasks x backends x seeds.
 *
 * Pretraining is shared: one job per (model, recipe), run once on the pretrain backend with the first seed and
 * cached by a hash of everything that determines it (as BERT's fine-tuning restarts share one checkpoint).
 * Every fine-tuning cell then starts from that checkpoint (or from random weights) with its own seed. With
 * `reinitEmbeddings`, every recipe also gets cells that start from its checkpoint with the embeddings freshly
 * initialised (Kao & Lee 2021's ablation: pretrained layers, new embeddings).
 */
import type { Experiment } from './experiment';

export interface PretrainJob {
  readonly kind: 'pretrain';
  readonly model: string;
  readonly pretraining: string;
  readonly backend: string;
  readonly seed: number;
}

/**
 * How a fine-tuning cell's weights start: the recipe's checkpoint, the checkpoint with its embedding parameters
 * freshly initialised, or random (pretraining null). Result records written before this field existed lack it:
 * read them with `cellInit`.
 */
export type FinetuneInit = 'pretrained' | 'scratch' | 'reinit-embeddings';

export interface FinetuneCell {
  readonly kind: 'finetune';
  readonly model: string;
  /** null: trained from scratch (random initialisation, same tokenizer); otherwise the recipe's checkpoint. */
  readonly pretraining: string | null;
  readonly init: FinetuneInit;
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

/** Representation probes of an encoder model (pretrained or from scratch), on the reference backend. */
export interface ProbeCell {
  readonly kind: 'probe';
  readonly model: string;
  readonly pretraining: string | null;
  readonly backend: string;
  readonly seed: number;
}

export interface Plan {
  readonly pretrain: readonly PretrainJob[];
  readonly finetune: readonly FinetuneCell[];
  /** Decoder models x tasks with `incontext`, on the reference backend; the seed draws the examples. */
  readonly incontext: readonly IncontextCell[];
  /** Encoder models x (recipes + scratch) when the config has `probes`. */
  readonly probes: readonly ProbeCell[];
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

  const starts: { pretraining: string | null; init: FinetuneInit }[] = exp.pretraining.map((p) => ({ pretraining: p.id, init: 'pretrained' }));
  if (exp.config.reinitEmbeddings) starts.push(...exp.pretraining.map((p) => ({ pretraining: p.id, init: 'reinit-embeddings' as const })));
  if (exp.config.fromScratch !== false || exp.pretraining.length === 0) starts.push({ pretraining: null, init: 'scratch' });
  // The reference backend first, so that parity of the others can be computed against finished cells.
  const backends = [...exp.backends.map((b) => b.id)].sort((a, b) => Number(b === referenceBackend) - Number(a === referenceBackend));
  const startsOf = (model: string) => starts.filter((s) => s.pretraining === null || exp.compatible(model, s.pretraining));
  const finetune: FinetuneCell[] = [];
  for (const m of exp.models)
    for (const t of exp.tasks)
      for (const { pretraining, init } of startsOf(m.id))
        for (const seed of seeds)
          for (const backend of backends) finetune.push({ kind: 'finetune', model: m.id, pretraining, init, task: t.id, backend, seed });
  const incontext: IncontextCell[] = [];
  for (const m of exp.models.filter((x) => x.plugin.architecture === 'decoder'))
    for (const t of exp.config.tasks.filter((x) => x.incontext))
      for (const { pretraining, init } of startsOf(m.id))
        if (init !== 'reinit-embeddings')
          for (const seed of seeds) incontext.push({ kind: 'incontext', model: m.id, pretraining, task: t.id, backend: referenceBackend, seed });
  const probes: ProbeCell[] = [];
  if (exp.config.probes)
    for (const m of exp.models.filter((x) => x.plugin.architecture === 'encoder'))
      for (const { pretraining, init } of startsOf(m.id))
        if (init !== 'reinit-embeddings') probes.push({ kind: 'probe', model: m.id, pretraining, backend: referenceBackend, seed: seeds[0] });
  return { pretrain, finetune, incontext, probes, referenceBackend, pretrainBackend };
}

/** A fine-tuning cell as result records hold it (records written before `init` existed lack it). */
export type RecordedFinetuneCell = Omit<FinetuneCell, 'init'> & { readonly init?: FinetuneInit };

/** A fine-tuning cell's init; records written before `init` existed have none: pretrained, or scratch when pretraining is null. */
export function cellInit(cell: { pretraining: string | null; init?: FinetuneInit }): FinetuneInit {
  return cell.init ?? (cell.pretraining === null ? 'scratch' : 'pretrained');
}

/**
 * A stable key of a cell, for resuming and for matching cells across backends. Pretrained and from-scratch cells
 * keep the key they had before `init` existed (so older results files resume); re-initialised cells add it.
 */
export function cellKey(cell: PretrainJob | RecordedFinetuneCell | IncontextCell | ProbeCell): string {
  if (cell.kind === 'pretrain') return JSON.stringify(['pretrain', cell.model, cell.pretraining, cell.backend, cell.seed]);
  if (cell.kind === 'probe') return JSON.stringify(['probe', cell.model, cell.pretraining, cell.backend, cell.seed]);
  const key = [cell.kind, cell.model, cell.pretraining, cell.task, cell.backend, cell.seed];
  if (cell.kind === 'finetune' && cellInit(cell) === 'reinit-embeddings') key.push('reinit-embeddings');
  return JSON.stringify(key);
}

/** How a cell's starting point is shown: the recipe, "<recipe> (re-init embeddings)", or "scratch". */
export function initLabel(cell: { pretraining: string | null; init?: FinetuneInit }): string {
  if (cell.pretraining === null) return 'scratch';
  return cellInit(cell) === 'reinit-embeddings' ? `${cell.pretraining} (re-init embeddings)` : cell.pretraining;
}

export function describeCell(cell: PretrainJob | RecordedFinetuneCell | IncontextCell | ProbeCell): string {
  if (cell.kind === 'probe') return `probes ${cell.model} ${cell.pretraining ?? 'scratch'} on ${cell.backend}`;
  return cell.kind === 'pretrain'
    ? `pretrain ${cell.model} ${cell.pretraining} on ${cell.backend} (seed ${cell.seed})`
    : `${cell.kind} ${cell.model} ${initLabel(cell)} -> ${cell.task} on ${cell.backend} (seed ${cell.seed})`;
}
