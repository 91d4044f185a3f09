/**
 * One loaded export and its generation loop, on transformers.js (which runs the ONNX decoder on onnxruntime-node
 * with its KV cache, greedy or top-p sampling, streamers and stopping criteria). Runs inside the inference worker
 * only: a generation step blocks the thread it runs on. No vscode import.
 */
import {
  AutoModelForCausalLM,
  BaseStreamer,
  StoppingCriteria,
  StoppingCriteriaList,
  Tensor,
  type TextStreamer,
  env,
  random,
  type PreTrainedModel,
} from '@huggingface/transformers';
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
import { GENERATION_SESSION_OPTIONS } from './sessionOptions';

// Exports are local folders: never ask a hub, never write a download cache into node_modules.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useFSCache = false;

export type Finished = Extract<GenerationEvent, { kind: 'finished' }>;

/** Set by the host through shared memory; read between token steps. */
export type CancelCheck = () => boolean;

class CancelCriterion extends StoppingCriteria {
  constructor(private readonly cancelled: CancelCheck) {
    super();
  }
  override _call(inputIds: number[][]): boolean[] {
    return inputIds.map(() => this.cancelled());
  }
}

/** Collects generated ids (the first `put` is the prompt) and turns them into token events. */
class EventStreamer extends BaseStreamer {
  readonly ids: number[] = [];
  firstTokenAt: number | undefined;
  private promptSeen = false;
  private readonly text: TextStream;

  constructor(
    prompt: ChatPrompt,
    private readonly stopIds: ReadonlySet<number>,
    private readonly cancelled: CancelCheck,
    private readonly onEvent: (event: GenerationEvent) => void,
  ) {
    super();
    this.text = new TextStream(prompt);
  }

  override put(value: bigint[][]): void {
    if (!this.promptSeen) {
      this.promptSeen = true;
      return;
    }
    const id = Number(value[0][0]);
    this.firstTokenAt ??= performance.now();
    // The token computed while a cancel arrived is dropped: nothing is shown after cancel.
    if (this.cancelled() || this.stopIds.has(id)) return;
    this.ids.push(id);
    const delta = this.text.next(this.ids);
    this.onEvent({ kind: 'token', text: delta, tokenCount: this.ids.length });
  }

  override end(): void {
    // Nothing to flush here: finish() emits the tail once the reason for stopping is known.
  }

  finish(): string {
    const { delta, text } = this.text.finish(this.ids);
    if (delta) this.onEvent({ kind: 'token', text: delta, tokenCount: this.ids.length });
    return text;
  }
}

export class LoadedExport {
  private constructor(
    readonly info: ExportInfo,
    private readonly model: PreTrainedModel,
    readonly prompt: ChatPrompt,
    readonly stopIds: readonly number[],
  ) {}

  static async load(dir: string): Promise<LoadedExport> {
    const info = await readExport(dir);
    // The manifest's checksums: a file changed after the export (or a stale copy) is refused before it loads.
    await verifyExport(info);
    const prompt = await ChatPrompt.load(dir);
    // transformers.js resolves a model id under env.localModelPath; loads are one at a time (the worker queues).
    env.localModelPath = path.dirname(path.resolve(dir)) + path.sep;
    const model = await AutoModelForCausalLM.from_pretrained(path.basename(path.resolve(dir)), {
      local_files_only: true,
      dtype: 'fp32',
      device: 'cpu',
      model_file_name: 'model',
      session_options: { ...GENERATION_SESSION_OPTIONS },
    });
    const stopIds = [...new Set([...info.eosTokenIds, ...prompt.endOfTurnIds()])];
    return new LoadedExport(info, model, prompt, stopIds);
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
    const streamer = new EventStreamer(this.prompt, stopIds, cancelled, onEvent);
    const stopping = new StoppingCriteriaList();
    stopping.push(new CancelCriterion(cancelled));
    const sampling = settings.temperature > 0;
    if (sampling && settings.seed !== undefined) random.seed(settings.seed);
    const inputIds = new Tensor('int64', BigInt64Array.from(promptIds, BigInt), [1, promptIds.length]);
    const started = performance.now();
    const output = (await this.model.generate({
      inputs: inputIds,
      attention_mask: new Tensor('int64', new BigInt64Array(promptIds.length).fill(1n), [
        1,
        promptIds.length,
      ]),
      max_new_tokens: settings.maxNewTokens,
      do_sample: sampling,
      ...(sampling ? { temperature: settings.temperature, top_p: settings.topP, top_k: 0 } : {}),
      eos_token_id: [...stopIds],
      stopping_criteria: stopping,
      // The typings ask for a TextStreamer; generate() only calls put() and end(), which BaseStreamer declares.
      streamer: streamer as unknown as TextStreamer,
    })) as Tensor;
    const ended = performance.now();
    const generated = output.dims.at(-1)! - promptIds.length;
    const lastId = generated > 0 ? Number((output.data as BigInt64Array)[output.data.length - 1]) : -1;
    output.dispose();
    const text = streamer.finish();
    const reason = cancelled() ? 'cancelled' : stopIds.has(lastId) ? 'eos' : 'length';
    const firstAt = streamer.firstTokenAt ?? ended;
    const afterFirst = generated - 1;
    const finished: Finished = {
      kind: 'finished',
      reason,
      text,
      tokenCount: streamer.ids.length,
      timeToFirstTokenMs: firstAt - started,
      tokensPerSecond: afterFirst > 0 && ended > firstAt ? afterFirst / ((ended - firstAt) / 1000) : 0,
    };
    return { finished, detail: { tokenIds: streamer.ids, steps: generated, generationMs: ended - started } };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
