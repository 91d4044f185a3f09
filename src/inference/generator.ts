/**
 * One loaded export and its generation loop, on onnxruntime-node directly (src/inference/onnxDecoder.ts): the
 * prompt through the model's chat template, one prefill step, then one step per token with the KV cache kept from
 * step to step, greedy or seeded top-p sampling, stop at eos or the end-of-turn token, cancel checked before and
 * after every step. Runs inside the inference worker only: a generation step blocks the thread it runs on.
 * No vscode import.
 */
import * as path from 'node:path';
import type {
  ChatMessage,
  DecodingSettings,
  GenerationDetail,
  GenerationEvent,
} from '../protocol/inferenceWorker';
import { ChatPrompt, TextStream } from './chatPrompt';
import { checkDecodingSettings } from './decoding';
import { readExport, verifyExport, type ExportInfo } from './exportReader';
import { OnnxDecoder } from './onnxDecoder';
import { pickToken, uniformSource } from './sampling';
import { measuredGenerationSessionOptions } from './sessionOptions';

export type Finished = Extract<GenerationEvent, { kind: 'finished' }>;

/** Set by the host through shared memory; read between token steps. */
export type CancelCheck = () => boolean;

export class LoadedExport {
  private constructor(
    readonly info: ExportInfo,
    private readonly decoder: OnnxDecoder,
    readonly prompt: ChatPrompt,
    readonly stopIds: readonly number[],
  ) {}

  static async load(dir: string): Promise<LoadedExport> {
    const info = await readExport(dir);
    // The manifest's checksums: a file changed after the export (or a stale copy) is refused before it loads.
    await verifyExport(info);
    const prompt = await ChatPrompt.load(dir);
    const decoder = await OnnxDecoder.load(
      path.join(dir, 'onnx', 'model.onnx'),
      await measuredGenerationSessionOptions(),
    );
    const stopIds = [...new Set([...info.eosTokenIds, ...prompt.endOfTurnIds()])];
    return new LoadedExport(info, decoder, prompt, stopIds);
  }

  async generate(
    messages: readonly ChatMessage[],
    settings: DecodingSettings,
    cancelled: CancelCheck,
    onEvent: (event: GenerationEvent) => void,
  ): Promise<{ finished: Finished; detail: GenerationDetail }> {
    checkDecodingSettings(settings);
    const promptIds = this.prompt.promptIds(messages, settings.enableThinking ?? false);
    onEvent({ kind: 'started', promptTokens: promptIds.length });
    const stopIds = new Set(this.stopIds);
    const uniform = uniformSource(settings.temperature > 0 ? settings.seed : undefined);
    const text = new TextStream(this.prompt);
    const ids: number[] = [];
    let reason: Finished['reason'] = 'length';
    let steps = 0;
    let firstAt: number | undefined;
    let cache = this.decoder.emptyCache();
    let input = promptIds;
    let position = 0;
    const started = performance.now();
    while (steps < settings.maxNewTokens) {
      if (cancelled()) {
        reason = 'cancelled';
        break;
      }
      const step = await this.decoder.step(input, position, cache);
      steps++;
      firstAt ??= performance.now();
      const id = pickToken(step.logits, settings, uniform);
      // The token computed while a cancel arrived is dropped: nothing is shown after cancel.
      if (cancelled()) {
        reason = 'cancelled';
        break;
      }
      if (stopIds.has(id)) {
        reason = 'eos';
        break;
      }
      ids.push(id);
      onEvent({ kind: 'token', text: text.next(ids), tokenCount: ids.length });
      cache = step.cache;
      position += input.length;
      input = [id];
    }
    const ended = performance.now();
    const tail = text.finish(ids);
    if (tail.delta) onEvent({ kind: 'token', text: tail.delta, tokenCount: ids.length });
    const first = firstAt ?? ended;
    const afterFirst = steps - 1;
    const finished: Finished = {
      kind: 'finished',
      reason,
      text: tail.text,
      tokenCount: ids.length,
      timeToFirstTokenMs: first - started,
      tokensPerSecond: afterFirst > 0 && ended > first ? afterFirst / ((ended - first) / 1000) : 0,
    };
    return { finished, detail: { tokenIds: ids, steps, generationMs: ended - started } };
  }

  async dispose(): Promise<void> {
    await this.decoder.dispose();
  }
}
