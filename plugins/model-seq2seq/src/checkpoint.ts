/**
 * Hugging Face BART checkpoint directories: `config.json` + `model.safetensors` (the tokenizer files, BART's
 * byte-level BPE `vocab.json` / `merges.txt`, are not read or written here).
 *
 * Reference: Hugging Face transformers `BartConfig` (configuration_bart.py) for the config keys, and
 * `BartForConditionalGeneration` / `BartModel` for the names: `model.encoder.embed_tokens.weight`,
 * `model.decoder.embed_tokens.weight` and `lm_head.weight` are tied to `model.shared.weight` (safetensors files saved
 * by `save_pretrained` keep one of them); a `BartModel` checkpoint has no `model.` prefix and no `final_logits_bias`.
 */
import { mkdir, stat } from 'node:fs/promises';
import { writeFileAtomic } from '@ssbench/core';
import { join } from 'node:path';
import { type Tensor, addCheckpointTensor, checkTensorsToSave, checkpointError, configValues, readCheckpointJson, readCheckpointTensors, sameShape, tensor, tensorMap, writeSafetensors } from '@ssbench/graph';
import { type BartOptions, bartParamShapes, resolveBartOptions } from './bart';

export interface LoadedBartCheckpoint {
  /** Model options mapped from config.json. */
  config: BartOptions;
  /** `vocab_size` of config.json. */
  vocabSize: number;
  /** Parameters under ssbench's (= BartForConditionalGeneration's) names, float32. */
  weights: Map<string, Tensor>;
  /** What was in the checkpoint but not carried over, or filled in, one line each. */
  notes: string[];
}

/** Token ids written to config.json (HF BART: pad 1, bos 0, eos 2, decoder_start_token_id = eos). */
export interface BartTokenIds {
  pad: number;
  bos: number;
  eos: number;
}

const TIED_ALIASES = ['model.encoder.embed_tokens.weight', 'model.decoder.embed_tokens.weight', 'lm_head.weight'];

/** config.json keys (HF BartConfig) -> ssbench options. */
function configFromHf(file: string, cfg: Record<string, unknown>, notes: string[]): { config: BartOptions; vocabSize: number } {
  const { int, num } = configValues(file, cfg);
  if (cfg.model_type !== undefined && cfg.model_type !== 'bart')
    throw checkpointError(file, `model_type is ${JSON.stringify(cfg.model_type)}; only "bart" (post-LN, no final encoder/decoder LayerNorm) is supported`);
  const act = cfg.activation_function ?? 'gelu';
  if (act !== 'gelu') throw checkpointError(file, `"activation_function" is ${JSON.stringify(act)}; only "gelu" (the erf form BART uses) is supported`);
  const same = (a: string, b: string, fallback: number): number => {
    const x = int(a, fallback);
    const y = int(b, fallback);
    if (x !== y) throw checkpointError(file, `"${a}" (${x}) and "${b}" (${y}) differ; the model uses one value for both`);
    return x;
  };
  const attnDrop = num('attention_dropout', 0);
  if (attnDrop !== 0) notes.push(`${file}: attention_dropout ${attnDrop} not carried over (attention dropout is unsupported; 0 is used)`);
  for (const key of ['encoder_layerdrop', 'decoder_layerdrop']) {
    const v = num(key, 0);
    if (v !== 0) notes.push(`${file}: ${key} ${v} not carried over (LayerDrop is not supported)`);
  }
  const dModel = int('d_model', 1024);
  let config: BartOptions;
  try {
    config = resolveBartOptions({
      dModel,
      encoderLayers: int('encoder_layers', 12),
      decoderLayers: int('decoder_layers', 12),
      heads: same('encoder_attention_heads', 'decoder_attention_heads', 16),
      ffnDim: same('encoder_ffn_dim', 'decoder_ffn_dim', 4096),
      maxPositions: int('max_position_embeddings', 1024),
      dropout: num('dropout', 0.1),
      attentionDropout: 0,
      activationDropout: num('activation_dropout', 0),
      classifierDropout: num('classifier_dropout', 0),
      initStd: num('init_std', 0.02),
      scaleEmbedding: cfg.scale_embedding === undefined ? false : Boolean(cfg.scale_embedding),
    });
  } catch (e) {
    throw checkpointError(file, (e as Error).message);
  }
  return { config, vocabSize: int('vocab_size', 50265) };
}

/**
 * Reads a Hugging Face BART checkpoint directory (BartForConditionalGeneration, BartForSequenceClassification or
 * BartModel names). Every encoder-decoder tensor must be present; the shared embedding may come under any of its
 * tied names; a missing `final_logits_bias` is zeros (as HF initialises it). Errors name the file and the tensor.
 */
export async function loadHfCheckpoint(dir: string): Promise<LoadedBartCheckpoint> {
  const notes: string[] = [];
  const configFile = join(dir, 'config.json');
  const { config, vocabSize } = configFromHf(configFile, await readCheckpointJson(configFile), notes);
  const weightsFile = join(dir, 'model.safetensors');
  const tensors = await readCheckpointTensors(weightsFile);
  const expected = bartParamShapes(config, vocabSize);
  const weights = new Map<string, Tensor>();
  const aliases = new Map<string, Tensor>();
  for (const [name, t] of tensors) {
    // BartModel checkpoints have no "model." prefix.
    const n = /^(shared|encoder|decoder)\./.test(name) ? `model.${name}` : name;
    if (n === 'model.encoder.embed_tokens.weight' || n === 'model.decoder.embed_tokens.weight' || n === 'lm_head.weight') {
      aliases.set(n, t);
      continue;
    }
    const want = expected.get(n);
    if (want === undefined && !/^classification_head\.(dense|out_proj)\.(weight|bias)$/.test(n)) {
      notes.push(`${weightsFile}: unexpected tensor ${name} ignored`);
      continue;
    }
    addCheckpointTensor(weightsFile, weights, n, name, t, want);
  }
  if (!weights.has('model.shared.weight')) {
    const alias = TIED_ALIASES.map((a) => [a, aliases.get(a)] as const).find(([, t]) => t !== undefined);
    if (alias) {
      const [name, t] = alias as [string, Tensor];
      if (!sameShape(t.shape, [vocabSize, config.dModel]))
        throw checkpointError(weightsFile, `tensor ${name} has shape [${t.shape.join(', ')}], expected [${vocabSize}, ${config.dModel}]`);
      weights.set('model.shared.weight', t);
      notes.push(`${weightsFile}: model.shared.weight taken from its tied copy ${name}`);
    }
  }
  for (const a of aliases.keys()) notes.push(`${weightsFile}: ${a} ignored (tied to model.shared.weight)`);
  if (!weights.has('final_logits_bias')) {
    weights.set('final_logits_bias', tensor('float32', [1, vocabSize]));
    notes.push(`${weightsFile}: no final_logits_bias (a BartModel checkpoint?): zeros used`);
  }
  for (const [name, shape] of expected)
    if (!weights.has(name)) throw checkpointError(weightsFile, `missing tensor ${name} [${shape.join(', ')}] (nor found without the "model." prefix)`);
  return { config, vocabSize, weights, notes };
}

/** ssbench options -> HF BartConfig keys (what `BartForConditionalGeneration.from_pretrained` reads). */
export function hfConfigOf(options: BartOptions, vocabSize: number, ids: BartTokenIds = { pad: 1, bos: 0, eos: 2 }): Record<string, unknown> {
  return {
    architectures: ['BartForConditionalGeneration'],
    model_type: 'bart',
    vocab_size: vocabSize,
    d_model: options.dModel,
    encoder_layers: options.encoderLayers,
    decoder_layers: options.decoderLayers,
    encoder_attention_heads: options.heads,
    decoder_attention_heads: options.heads,
    encoder_ffn_dim: options.ffnDim,
    decoder_ffn_dim: options.ffnDim,
    max_position_embeddings: options.maxPositions,
    activation_function: 'gelu',
    dropout: options.dropout,
    attention_dropout: options.attentionDropout,
    activation_dropout: options.activationDropout,
    classifier_dropout: options.classifierDropout,
    init_std: options.initStd,
    scale_embedding: options.scaleEmbedding,
    encoder_layerdrop: 0,
    decoder_layerdrop: 0,
    is_encoder_decoder: true,
    pad_token_id: ids.pad,
    bos_token_id: ids.bos,
    eos_token_id: ids.eos,
    decoder_start_token_id: ids.eos,
    forced_eos_token_id: ids.eos,
  };
}

/**
 * Writes `config.json` and `model.safetensors` into `dir` (created if needed), each to a temporary name renamed into
 * place. `weights` must hold every parameter `options` implies (classification_head.* is written when present); the
 * vocabulary size is the shared embedding's row count. `ids` are the tokenizer's pad/BOS/EOS ids for config.json.
 */
export async function saveHfCheckpoint(
  dir: string,
  options: BartOptions,
  weights: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>,
  ids?: BartTokenIds,
): Promise<void> {
  const map = tensorMap(weights);
  const shared = map.get('model.shared.weight');
  if (!shared) throw new Error('saveHfCheckpoint: missing tensor model.shared.weight');
  const vocabSize = shared.shape[0];
  const out = checkTensorsToSave('saveHfCheckpoint', map, {
    expected: bartParamShapes(options, vocabSize),
    allowed: (name) => /^classification_head\.(dense|out_proj)\.(weight|bias)$/.test(name),
  });
  await mkdir(dir, { recursive: true });
  if (!(await stat(dir)).isDirectory()) throw new Error(`saveHfCheckpoint: ${dir} is not a directory`);
  writeFileAtomic(join(dir, 'model.safetensors'), writeSafetensors(out, { format: 'pt' }));
  writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(hfConfigOf(options, vocabSize, ids), null, 2)}\n`);
}
