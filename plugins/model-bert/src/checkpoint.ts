/**
 * Hugging Face BERT checkpoint directories: `config.json` + `model.safetensors` + `vocab.txt`.
 *
 * Reference: Hugging Face transformers `BertConfig` (configuration_bert.py) for the config keys, and
 * `BertPreTrainedModel` / `PreTrainedModel.from_pretrained` for the name handling: a `BertModel` checkpoint has
 * no `bert.` prefix, old TF-converted ones name LayerNorm parameters `gamma`/`beta`, and the MLM decoder
 * (`cls.predictions.decoder.*`) is tied to the word embeddings and `cls.predictions.bias`.
 */
import { mkdir, stat } from 'node:fs/promises';
import { writeFileAtomic } from '@ssbench/core';
import { join } from 'node:path';
import { type Tensor, addCheckpointTensor, checkTensorsToSave, checkpointError, configValues, readCheckpointJson, readCheckpointTensors, readCheckpointText, sameShape, tensorMap, writeSafetensors } from '@ssbench/graph';
import { type BertOptions, bertEncoderParamShapes, bertPretrainingHeadShapes, resolveBertOptions } from './bert';

export interface LoadedBertCheckpoint {
  /** Model options mapped from config.json. */
  config: BertOptions;
  /** `vocab_size` of config.json (the rows of the word embedding matrix). */
  vocabSize: number;
  /** Parameters under ssbench's (= BertForPreTraining's) names, float32. */
  weights: Map<string, Tensor>;
  /** Path of vocab.txt (one WordPiece token a line). */
  vocabPath: string;
  /** What was in the checkpoint but not carried over, one line each (e.g. attention dropout, tied copies). */
  notes: string[];
}

/** config.json keys (HF BertConfig) -> ssbench options. */
function configFromHf(file: string, cfg: Record<string, unknown>, notes: string[]): { config: BertOptions; vocabSize: number } {
  const { int, num } = configValues(file, cfg);
  const act = cfg.hidden_act ?? 'gelu';
  if (act !== 'gelu')
    throw checkpointError(file, `"hidden_act" is ${JSON.stringify(act)}; only "gelu" (the erf form BERT uses) is supported`);
  const posType = cfg.position_embedding_type ?? 'absolute';
  if (posType !== 'absolute') throw checkpointError(file, `"position_embedding_type" is ${JSON.stringify(posType)}; only "absolute" is supported`);
  if (cfg.model_type !== undefined && cfg.model_type !== 'bert') notes.push(`${file}: model_type is ${JSON.stringify(cfg.model_type)}, loaded as BERT`);
  const attnDrop = num('attention_probs_dropout_prob', 0.1);
  if (attnDrop !== 0) notes.push(`${file}: attention_probs_dropout_prob ${attnDrop} not carried over (attention dropout is unsupported; 0 is used)`);
  const hidden = int('hidden_size');
  let config: BertOptions;
  try {
    config = resolveBertOptions({
      hiddenSize: hidden,
      numLayers: int('num_hidden_layers'),
      numHeads: int('num_attention_heads'),
      intermediateSize: int('intermediate_size', 4 * hidden),
      maxPositions: int('max_position_embeddings', 512),
      typeVocabSize: int('type_vocab_size', 2),
      hiddenDropout: num('hidden_dropout_prob', 0.1),
      attentionDropout: 0,
      initializerRange: num('initializer_range', 0.02),
      layerNormEps: num('layer_norm_eps', 1e-12),
    });
  } catch (e) {
    throw checkpointError(file, (e as Error).message);
  }
  return { config, vocabSize: int('vocab_size') };
}

/** HF/TF name variants -> BertForPreTraining names. */
function canonicalName(name: string): string {
  let n = name;
  if (/^(embeddings|encoder|pooler)\./.test(n)) n = `bert.${n}`; // BertModel checkpoint
  n = n.replace(/\.LayerNorm\.gamma$/, '.LayerNorm.weight').replace(/\.LayerNorm\.beta$/, '.LayerNorm.bias'); // TF-converted
  return n;
}

/**
 * Reads a Hugging Face BERT checkpoint directory. Accepts BertForPreTraining, BertForMaskedLM,
 * BertForSequenceClassification and plain BertModel checkpoints (names without `bert.`). The encoder's tensors
 * must all be present; head tensors are kept when present. Errors name the file and the tensor.
 */
export async function loadHfCheckpoint(dir: string): Promise<LoadedBertCheckpoint> {
  const notes: string[] = [];
  const configFile = join(dir, 'config.json');
  const { config, vocabSize } = configFromHf(configFile, await readCheckpointJson(configFile), notes);

  const weightsFile = join(dir, 'model.safetensors');
  const tensors = await readCheckpointTensors(weightsFile);

  const expected = bertEncoderParamShapes(config, vocabSize);
  const heads = bertPretrainingHeadShapes(config, vocabSize);
  const weights = new Map<string, Tensor>();
  let decoderBias: Tensor | undefined;
  for (const [name, t] of tensors) {
    const n = canonicalName(name);
    if (n === 'bert.embeddings.position_ids' || n === 'bert.embeddings.token_type_ids') {
      notes.push(`${weightsFile}: buffer ${name} ignored`);
      continue;
    }
    if (n === 'cls.predictions.decoder.weight') {
      notes.push(`${weightsFile}: ${name} ignored (tied to bert.embeddings.word_embeddings.weight)`);
      continue;
    }
    if (n === 'cls.predictions.decoder.bias') {
      decoderBias = t;
      continue;
    }
    const want = expected.get(n) ?? heads.get(n);
    if (want === undefined && !/^classifier\.(weight|bias)$/.test(n)) {
      notes.push(`${weightsFile}: unexpected tensor ${name} ignored`);
      continue;
    }
    addCheckpointTensor(weightsFile, weights, n, name, t, want);
  }
  if (decoderBias !== undefined && !weights.has('cls.predictions.bias')) {
    if (!sameShape(decoderBias.shape, [vocabSize]))
      throw checkpointError(weightsFile, `tensor cls.predictions.decoder.bias has shape [${decoderBias.shape.join(', ')}], expected [${vocabSize}]`);
    weights.set('cls.predictions.bias', decoderBias);
  }
  for (const name of expected.keys())
    if (!weights.has(name)) throw checkpointError(weightsFile, `missing tensor ${name} (nor found without the "bert." prefix)`);
  const cw = weights.get('classifier.weight');
  const cb = weights.get('classifier.bias');
  if ((cw === undefined) !== (cb === undefined)) throw checkpointError(weightsFile, `missing tensor ${cw ? 'classifier.bias' : 'classifier.weight'}`);
  if (cw && cb && (cw.shape.length !== 2 || cw.shape[1] !== config.hiddenSize || !sameShape(cb.shape, [cw.shape[0]])))
    throw checkpointError(weightsFile, `classifier.weight [${cw.shape.join(', ')}] / classifier.bias [${cb.shape.join(', ')}] do not fit hidden size ${config.hiddenSize}`);

  const vocabPath = join(dir, 'vocab.txt');
  const vocabText = await readCheckpointText(vocabPath);
  const tokens = vocabText.split('\n');
  if (tokens[tokens.length - 1] === '') tokens.pop();
  if (tokens.length > vocabSize)
    throw checkpointError(vocabPath, `${tokens.length} tokens but config.json's vocab_size is ${vocabSize}`);
  return { config, vocabSize, weights, vocabPath, notes };
}

/** ssbench options -> HF BertConfig keys (what `BertForPreTraining.from_pretrained` reads). */
export function hfConfigOf(options: BertOptions, vocabSize: number): Record<string, unknown> {
  return {
    architectures: ['BertForPreTraining'],
    model_type: 'bert',
    vocab_size: vocabSize,
    hidden_size: options.hiddenSize,
    num_hidden_layers: options.numLayers,
    num_attention_heads: options.numHeads,
    intermediate_size: options.intermediateSize,
    hidden_act: 'gelu',
    hidden_dropout_prob: options.hiddenDropout,
    attention_probs_dropout_prob: options.attentionDropout,
    max_position_embeddings: options.maxPositions,
    type_vocab_size: options.typeVocabSize,
    initializer_range: options.initializerRange,
    layer_norm_eps: options.layerNormEps,
    position_embedding_type: 'absolute',
    pad_token_id: 0,
  };
}

/**
 * Writes `config.json`, `model.safetensors` and `vocab.txt` into `dir` (created if needed), each file
 * written to a temporary name and renamed into place. `weights` must hold every encoder parameter with the
 * shapes `options` imply; head parameters (cls.*, classifier.*) are written when present. The vocabulary size
 * is the word embedding's row count.
 */
export async function saveHfCheckpoint(
  dir: string,
  options: BertOptions,
  weights: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>,
  vocabText: string,
): Promise<void> {
  const map = tensorMap(weights);
  const wte = map.get('bert.embeddings.word_embeddings.weight');
  if (!wte) throw new Error('saveHfCheckpoint: missing tensor bert.embeddings.word_embeddings.weight');
  const vocabSize = wte.shape[0];
  const encoder = bertEncoderParamShapes(options, vocabSize);
  const out = checkTensorsToSave('saveHfCheckpoint', map, {
    required: encoder,
    expected: new Map([...encoder, ...bertPretrainingHeadShapes(options, vocabSize)]),
    allowed: (name) => /^classifier\.(weight|bias)$/.test(name),
  });
  const tokens = vocabText.split('\n').filter((l, i, a) => !(i === a.length - 1 && l === ''));
  if (tokens.length > vocabSize) throw new Error(`saveHfCheckpoint: vocab has ${tokens.length} tokens but the word embedding has ${vocabSize} rows`);

  await mkdir(dir, { recursive: true });
  if (!(await stat(dir)).isDirectory()) throw new Error(`saveHfCheckpoint: ${dir} is not a directory`);
  writeFileAtomic(join(dir, 'model.safetensors'), writeSafetensors(out, { format: 'pt' }));
  writeFileAtomic(join(dir, 'vocab.txt'), vocabText.endsWith('\n') ? vocabText : `${vocabText}\n`);
  writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(hfConfigOf(options, vocabSize), null, 2)}\n`);
}
