/**
 * The least any generation loop on onnxruntime-node can cost: greedy decoding fed straight from one step's
 * `present.*` outputs into the next step's `past_key_values.*` inputs (no copy), argmax over the last position's
 * logits, nothing else (no streaming, no text). The benchmark runs it beside the engine: the gap between the two is
 * what a loop of our own could win back over transformers.js. Benchmark only: the engine is src/inference.
 */
import * as ort from 'onnxruntime-node';
import * as path from 'node:path';
import { GENERATION_SESSION_OPTIONS } from '../src/inference/sessionOptions';

export interface BareRun {
  ids: number[];
  ttftMs: number;
  totalMs: number;
  /** Time inside `session.run` (the rest is this loop's own work). */
  runMs: number;
}

export class BareLoop {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly layers: number,
    private readonly kvShape: [number, number],
  ) {}

  static async load(exportDir: string, threads?: number): Promise<BareLoop> {
    // The engine's own session options, so the two differ by their loops only.
    const session = await ort.InferenceSession.create(path.join(exportDir, 'onnx', 'model.onnx'), {
      ...GENERATION_SESSION_OPTIONS,
      ...(threads ? { intraOpNumThreads: threads } : {}),
    });
    const keys = session.inputNames.filter((name) => /^past_key_values\.\d+\.key$/.test(name));
    const meta = session.inputMetadata.find((m) => m.name === keys[0]);
    const shape = meta && meta.isTensor ? meta.shape : [];
    return new BareLoop(session, keys.length, [Number(shape[1]), Number(shape[3])]);
  }

  async greedy(prompt: readonly number[], maxNewTokens: number, stop: ReadonlySet<number>): Promise<BareRun> {
    const [heads, headDim] = this.kvShape;
    let past: Record<string, ort.Tensor> = {};
    for (let i = 0; i < this.layers; i++) {
      for (const part of ['key', 'value']) {
        past[`past_key_values.${i}.${part}`] = new ort.Tensor('float32', new Float32Array(0), [
          1,
          heads,
          0,
          headDim,
        ]);
      }
    }
    const ids: number[] = [];
    let input = [...prompt];
    let position = 0;
    let runMs = 0;
    let ttftMs = 0;
    const started = performance.now();
    while (ids.length < maxNewTokens) {
      const length = input.length;
      const total = position + length;
      const feeds = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(input, BigInt), [1, length]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
        position_ids: new ort.Tensor(
          'int64',
          BigInt64Array.from({ length }, (_, i) => BigInt(position + i)),
          [1, length],
        ),
        ...past,
      };
      const before = performance.now();
      const out = await this.session.run(feeds);
      runMs += performance.now() - before;
      const next = argmaxLast(out.logits);
      if (ids.length === 0) ttftMs = performance.now() - started;
      ids.push(next);
      if (stop.has(next)) break;
      past = {};
      for (let i = 0; i < this.layers; i++) {
        past[`past_key_values.${i}.key`] = out[`present.${i}.key`] as ort.Tensor;
        past[`past_key_values.${i}.value`] = out[`present.${i}.value`] as ort.Tensor;
      }
      position = total;
      input = [next];
    }
    return { ids, ttftMs, totalMs: performance.now() - started, runMs };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

function argmaxLast(logits: ort.Tensor): number {
  const data = logits.data as Float32Array;
  const vocab = logits.dims[logits.dims.length - 1];
  const offset = data.length - vocab;
  let best = 0;
  for (let v = 1; v < vocab; v++) if (data[offset + v] > data[offset + best]) best = v;
  return best;
}
