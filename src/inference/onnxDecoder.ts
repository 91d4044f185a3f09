/**
 * An export's decoder-with-past graph on onnxruntime-node, fed as the export contract says (trainer/README.md:
 * `input_ids`, `attention_mask`, `position_ids`, `num_logits_to_keep`, `past_key_values.{i}.key|value` in; `logits`,
 * `present.{i}.*` out). One step runs the new ids against the cache and hands back the last position's logits and
 * the grown cache; the cache's tensors go from one step's outputs straight into the next step's inputs, never copied
 * on our side. The graph computes the output head for the last position only (`num_logits_to_keep` 1), not for every
 * prompt token: a fifth of the time to the first token on SmolLM2. Exports made before that input joined the
 * contract compute every position; their last one is read.
 * No vscode import.
 */
import * as ort from 'onnxruntime-node';
import { ExportError } from './exportReader';

export type KvCache = Record<string, ort.Tensor>;

export interface DecoderStep {
  /** The logits of the last input position (a view into onnxruntime's output, valid until the next step). */
  logits: Float32Array;
  cache: KvCache;
}

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
const LOGITS_TO_KEEP = 'num_logits_to_keep';
const LAST_POSITION_ONLY = new ort.Tensor('int64', BigInt64Array.from([1n]), []);

export class OnnxDecoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly layers: number,
    private readonly kvHeads: number,
    private readonly headDim: number,
    private readonly keepsLogits: boolean,
  ) {}

  static async load(onnxFile: string, options: ort.InferenceSession.SessionOptions): Promise<OnnxDecoder> {
    const session = await ort.InferenceSession.create(onnxFile, options);
    const keys = session.inputNames.filter((name) => PAST.test(name) && name.endsWith('.key'));
    const meta = session.inputMetadata.find((m) => m.name === keys[0]);
    const shape = meta?.isTensor ? meta.shape : [];
    const [kvHeads, headDim] = [Number(shape[1]), Number(shape[3])];
    const needed = ['input_ids', 'attention_mask', 'position_ids'];
    if (
      keys.length === 0 ||
      !needed.every((name) => session.inputNames.includes(name)) ||
      !session.outputNames.includes('logits') ||
      !Number.isInteger(kvHeads) ||
      !Number.isInteger(headDim)
    ) {
      await session.release();
      throw new ExportError(
        `not a decoder-with-past graph (inputs ${session.inputNames.slice(0, 6).join(', ')}…); ` +
          'export it again with Export to ONNX',
        onnxFile,
      );
    }
    return new OnnxDecoder(
      session,
      keys.length,
      kvHeads,
      headDim,
      session.inputNames.includes(LOGITS_TO_KEEP),
    );
  }

  /** The cache before the first step: every layer's key and value with no positions. */
  emptyCache(): KvCache {
    const cache: KvCache = {};
    for (let layer = 0; layer < this.layers; layer++) {
      for (const part of ['key', 'value']) {
        cache[`past_key_values.${layer}.${part}`] = new ort.Tensor('float32', new Float32Array(0), [
          1,
          this.kvHeads,
          0,
          this.headDim,
        ]);
      }
    }
    return cache;
  }

  /** Runs `ids` at positions `position`… after the `position` cached ones (the prefill is the prompt at 0). */
  async step(ids: readonly number[], position: number, cache: KvCache): Promise<DecoderStep> {
    const length = ids.length;
    const total = position + length;
    const feeds: KvCache = {
      ...cache,
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length }, (_, i) => BigInt(position + i)),
        [1, length],
      ),
    };
    if (this.keepsLogits) feeds[LOGITS_TO_KEEP] = LAST_POSITION_ONLY;
    const out = await this.session.run(feeds);
    const logits = out.logits;
    const vocab = logits.dims[logits.dims.length - 1];
    const data = logits.data as Float32Array;
    const next: KvCache = {};
    for (let layer = 0; layer < this.layers; layer++) {
      next[`past_key_values.${layer}.key`] = out[`present.${layer}.key`];
      next[`past_key_values.${layer}.value`] = out[`present.${layer}.value`];
    }
    return { logits: data.subarray(data.length - vocab), cache: next };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
