/**
 * The least a generation on onnxruntime-node can cost: the engine's own decoder (src/inference/onnxDecoder.ts) and
 * greedy pick, with no worker, no chat prompt, no streamed text and no events. The benchmark runs it beside the
 * engine: the gap between the two is the engine's own cost per token. Benchmark only.
 */
import * as path from 'node:path';
import { OnnxDecoder } from '../src/inference/onnxDecoder';
import { argmax } from '../src/inference/sampling';
import { measuredGenerationSessionOptions } from '../src/inference/sessionOptions';

export interface BareRun {
  ids: number[];
  ttftMs: number;
  totalMs: number;
  /** Time inside the decoder's steps (the rest is this loop's own work). */
  runMs: number;
}

export class BareLoop {
  private constructor(private readonly decoder: OnnxDecoder) {}

  static async load(exportDir: string): Promise<BareLoop> {
    const onnxFile = path.join(exportDir, 'onnx', 'model.onnx');
    return new BareLoop(await OnnxDecoder.load(onnxFile, await measuredGenerationSessionOptions()));
  }

  async greedy(prompt: readonly number[], maxNewTokens: number, stop: ReadonlySet<number>): Promise<BareRun> {
    const ids: number[] = [];
    let cache = this.decoder.emptyCache();
    let input: readonly number[] = prompt;
    let position = 0;
    let runMs = 0;
    let ttftMs = 0;
    const started = performance.now();
    while (ids.length < maxNewTokens) {
      const before = performance.now();
      const step = await this.decoder.step(input, position, cache);
      runMs += performance.now() - before;
      const next = argmax(step.logits);
      if (ids.length === 0) ttftMs = performance.now() - started;
      ids.push(next);
      if (stop.has(next)) break;
      cache = step.cache;
      position += input.length;
      input = [next];
    }
    return { ids, ttftMs, totalMs: performance.now() - started, runMs };
  }

  async dispose(): Promise<void> {
    await this.decoder.dispose();
  }
}
