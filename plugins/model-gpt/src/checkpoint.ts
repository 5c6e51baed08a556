/**
 * Hugging Face GPT-2 checkpoint directories: `config.json` + `model.safetensors` + `vocab.json` + `merges.txt`.
 *
 * Reference: Hugging Face transformers `GPT2Config` (configuration_gpt2.py) for the config keys and defaults, and
 * `GPT2PreTrainedModel` / `PreTrainedModel.from_pretrained` / `save_pretrained` for the names: the hub's GPT-2
 * checkpoints are GPT2Model state dicts (no `transformer.` prefix: `h.0.attn.c_attn.weight`), GPT2LMHeadModel ones
 * carry the prefix, older ones store the causal-mask buffers `h.{i}.attn.bias` / `h.{i}.attn.masked_bias`, and
 * `lm_head.weight` is the tied copy of `transformer.wte.weight` (save_pretrained drops it). Conv1D weights are [in,
 * out]. The tokenizer files are GPT2Tokenizer's (byte-level BPE, `<|endoftext|>` as bos/eos/unk).
 */
import { mkdir, stat } from 'node:fs/promises';
import { writeFileAtomic } from '@ssbench/core';
import { join } from 'node:path';
import { type Tensor, addCheckpointTensor, checkTensorsToSave, checkpointError, configValues, readCheckpointJson, readCheckpointTensors, sameShape, tensorMap, writeSafetensors } from '@ssbench/graph';
import { ByteLevelBPE, ENDOFTEXT } from '@ssbench/tokenizers';
import { type GptOptions, gptParamShapes, resolveGptOptions } from './gpt';

export interface LoadedGptCheckpoint {
  /** Model options mapped from config.json. */
  config: GptOptions;
  /** `vocab_size` of config.json (the rows of wte). */
  vocabSize: number;
  /** Parameters under ssbench's (= GPT2LMHeadModel's) names, float32; `score.weight` when the checkpoint has one. */
  weights: Map<string, Tensor>;
  /** The byte-level BPE tokenizer of vocab.json + merges.txt. */
  tokenizer: ByteLevelBPE;
  vocabPath: string;
  mergesPath: string;
  /** What was in the checkpoint but not carried over, one line each (buffers, tied copies, attention dropout). */
  notes: string[];
}

/** Activation names whose function is the tanh approximation GPT-2 uses (HF ACT2FN: NewGELU / PytorchGELUTanh). */
const TANH_GELU = new Set(['gelu_new', 'gelu_pytorch_tanh']);

/** config.json keys (HF GPT2Config) -> ssbench options. */
function configFromHf(file: string, cfg: Record<string, unknown>, notes: string[]): { config: GptOptions; vocabSize: number } {
  const { int, num } = configValues(file, cfg);
  const flag = (key: string, want: boolean, why: string) => {
    const v = cfg[key] ?? want;
    if (v !== want) throw checkpointError(file, `"${key}" is ${JSON.stringify(v)}; only ${want} is supported (${why})`);
  };
  const act = cfg.activation_function ?? 'gelu_new';
  if (typeof act !== 'string' || !TANH_GELU.has(act))
    throw checkpointError(file, `"activation_function" is ${JSON.stringify(act)}; only "gelu_new" (GPT-2's tanh approximation, also "gelu_pytorch_tanh") is supported`);
  flag('scale_attn_weights', true, 'scores are divided by sqrt(head dim)');
  flag('scale_attn_by_inverse_layer_idx', false, 'no per-layer score scaling');
  flag('add_cross_attention', false, 'a decoder-only model has no cross-attention');
  flag('tie_word_embeddings', true, 'the LM head is wte');
  if (cfg.model_type !== undefined && cfg.model_type !== 'gpt2') notes.push(`${file}: model_type is ${JSON.stringify(cfg.model_type)}, loaded as GPT-2`);
  if (cfg.reorder_and_upcast_attn === true) notes.push(`${file}: reorder_and_upcast_attn ignored (float32 attention throughout)`);
  const attnDrop = num('attn_pdrop', 0.1);
  if (attnDrop !== 0) notes.push(`${file}: attn_pdrop ${attnDrop} not carried over (attention dropout is unsupported; 0 is used)`);
  const nEmbd = int('n_embd');
  const inner = cfg.n_inner;
  if (inner !== undefined && inner !== null && (typeof inner !== 'number' || !Number.isInteger(inner) || inner < 1))
    throw checkpointError(file, `"n_inner" must be null or a positive integer, got ${JSON.stringify(inner)}`);
  let config: GptOptions;
  try {
    config = resolveGptOptions({
      nEmbd,
      nLayer: int('n_layer'),
      nHead: int('n_head'),
      nInner: typeof inner === 'number' ? inner : 4 * nEmbd,
      nPositions: int('n_positions', typeof cfg.n_ctx === 'number' ? cfg.n_ctx : 1024),
      residDropout: num('resid_pdrop', 0.1),
      embdDropout: num('embd_pdrop', 0.1),
      attnDropout: 0,
      layerNormEps: num('layer_norm_epsilon', 1e-5),
      initializerRange: num('initializer_range', 0.02),
    });
  } catch (e) {
    throw checkpointError(file, (e as Error).message);
  }
  return { config, vocabSize: int('vocab_size') };
}

/** GPT2Model names (no prefix) -> GPT2LMHeadModel names. */
function canonicalName(name: string): string {
  return /^(wte|wpe|h|ln_f)\./.test(name) ? `transformer.${name}` : name;
}

/**
 * Reads a Hugging Face GPT-2 directory. Accepts GPT2Model (no prefix), GPT2LMHeadModel and
 * GPT2ForSequenceClassification names; ignores the attention-mask buffers and the tied `lm_head.weight` (which must
 * equal wte). Every transformer tensor must be present with the shape config.json implies. Errors name the file and
 * the tensor.
 */
export async function loadHfGpt2Checkpoint(dir: string): Promise<LoadedGptCheckpoint> {
  const notes: string[] = [];
  const configFile = join(dir, 'config.json');
  const { config, vocabSize } = configFromHf(configFile, await readCheckpointJson(configFile), notes);

  const weightsFile = join(dir, 'model.safetensors');
  const tensors = await readCheckpointTensors(weightsFile);

  const expected = gptParamShapes(config, vocabSize);
  const weights = new Map<string, Tensor>();
  let lmHead: Tensor | undefined;
  let buffers = 0;
  for (const [name, t] of tensors) {
    const n = canonicalName(name);
    if (/^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/.test(n)) {
      buffers++;
      continue;
    }
    if (n === 'lm_head.weight') {
      lmHead = t;
      continue;
    }
    const want = expected.get(n);
    if (want === undefined && n !== 'score.weight') {
      notes.push(`${weightsFile}: unexpected tensor ${name} ignored`);
      continue;
    }
    addCheckpointTensor(weightsFile, weights, n, name, t, want, () => {
      const transposed = want !== undefined && want.length === 2 && sameShape(t.shape, [want[1], want[0]]) && /\.(c_attn|c_proj|c_fc)\.weight$/.test(n);
      return transposed ? " (GPT-2 Conv1D weights are stored [in, out], not nn.Linear's [out, in])" : '';
    });
  }
  if (buffers > 0) notes.push(`${weightsFile}: ${buffers} attention-mask buffers (attn.bias / attn.masked_bias) ignored`);
  for (const name of expected.keys())
    if (!weights.has(name)) throw checkpointError(weightsFile, `missing tensor ${name} (nor found without the "transformer." prefix)`);
  if (lmHead) {
    const wte = weights.get('transformer.wte.weight') as Tensor;
    if (!sameShape(lmHead.shape, wte.shape) || !lmHead.data.every((x, i) => x === wte.data[i]))
      throw checkpointError(weightsFile, 'lm_head.weight differs from transformer.wte.weight: untied output embeddings are not supported');
    notes.push(`${weightsFile}: lm_head.weight ignored (tied to transformer.wte.weight)`);
  }
  const score = weights.get('score.weight');
  if (score && (score.shape.length !== 2 || score.shape[1] !== config.nEmbd))
    throw checkpointError(weightsFile, `score.weight has shape [${score.shape.join(', ')}], expected [numLabels, ${config.nEmbd}]`);

  const vocabPath = join(dir, 'vocab.json');
  const mergesPath = join(dir, 'merges.txt');
  const tokenizer = ByteLevelBPE.fromFiles(vocabPath, mergesPath); // its errors name the file
  if (tokenizer.vocabSize > vocabSize)
    throw checkpointError(vocabPath, `${tokenizer.vocabSize} tokens (with ${ENDOFTEXT}) but config.json's vocab_size is ${vocabSize}`);
  return { config, vocabSize, weights, tokenizer, vocabPath, mergesPath, notes };
}

/** ssbench options -> HF GPT2Config keys (what `GPT2LMHeadModel.from_pretrained` reads). */
export function hfGpt2ConfigOf(options: GptOptions, vocabSize: number, endOfTextId?: number): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: vocabSize,
    n_positions: options.nPositions,
    n_ctx: options.nPositions,
    n_embd: options.nEmbd,
    n_layer: options.nLayer,
    n_head: options.nHead,
    n_inner: options.nInner === 4 * options.nEmbd ? null : options.nInner,
    activation_function: 'gelu_new',
    resid_pdrop: options.residDropout,
    embd_pdrop: options.embdDropout,
    attn_pdrop: options.attnDropout,
    layer_norm_epsilon: options.layerNormEps,
    initializer_range: options.initializerRange,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: true,
    ...(endOfTextId !== undefined ? { bos_token_id: endOfTextId, eos_token_id: endOfTextId } : {}),
  };
}

/**
 * Writes `config.json`, `model.safetensors` (GPT2LMHeadModel names, without the tied lm_head), `vocab.json` and
 * `merges.txt` into `dir` (created if needed), each to a temporary name renamed into place. `weights` must hold every
 * transformer parameter with the shapes `options` imply; `score.weight` is written when present. The vocabulary size
 * is wte's row count.
 */
export async function saveHfGpt2Checkpoint(
  dir: string,
  options: GptOptions,
  weights: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>,
  tokenizer: ByteLevelBPE,
): Promise<void> {
  const map = tensorMap(weights);
  const wte = map.get('transformer.wte.weight');
  if (!wte) throw new Error('saveHfGpt2Checkpoint: missing tensor transformer.wte.weight');
  const vocabSize = wte.shape[0];
  const out = checkTensorsToSave('saveHfGpt2Checkpoint', map, {
    expected: gptParamShapes(options, vocabSize),
    allowed: (name) => name === 'score.weight',
    check: (name, t) => {
      if (name === 'score.weight' && (t.shape.length !== 2 || t.shape[1] !== options.nEmbd))
        throw new Error(`saveHfGpt2Checkpoint: score.weight has shape [${t.shape.join(', ')}], expected [numLabels, ${options.nEmbd}]`);
    },
  });
  if (tokenizer.vocabSize > vocabSize) throw new Error(`saveHfGpt2Checkpoint: the tokenizer has ${tokenizer.vocabSize} tokens but wte has ${vocabSize} rows`);
  const { vocabJson, mergesTxt } = tokenizer.toStrings();

  await mkdir(dir, { recursive: true });
  if (!(await stat(dir)).isDirectory()) throw new Error(`saveHfGpt2Checkpoint: ${dir} is not a directory`);
  writeFileAtomic(join(dir, 'model.safetensors'), writeSafetensors(out, { format: 'pt' }));
  writeFileAtomic(join(dir, 'vocab.json'), vocabJson);
  writeFileAtomic(join(dir, 'merges.txt'), mergesTxt);
  writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(hfGpt2ConfigOf(options, vocabSize, tokenizer.idOf(ENDOFTEXT)), null, 2)}\n`);
}
