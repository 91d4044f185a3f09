/**
 * The client the playground uses: starts the inference worker on first use and streams each generation's events.
 * Generations run one after the other in the order asked (two at once would only share the same CPU cores and
 * both arrive later); a cancelled one stops within one token step, or never starts if it was still waiting.
 * No vscode import.
 */
import { Worker } from 'node:worker_threads';
import type {
  ChatMessage,
  DecodingSettings,
  FinishedEvent,
  GenerationDetail,
  GenerationEvent,
  WorkerRequest,
  WorkerResponse,
} from '../protocol/inferenceWorker';
import { checkDecodingSettings } from './decoding';

export type { ChatMessage, DecodingSettings, GenerationEvent } from '../protocol/inferenceWorker';

export interface GenerationHandle {
  cancel(): void;
  /** Resolves with the finished event (reason 'cancelled' too); rejects with the error event's message. */
  done: Promise<FinishedEvent>;
}

interface Pending {
  onEvent: (event: GenerationEvent) => void;
  resolve: (event: FinishedEvent) => void;
  reject: (error: Error) => void;
  cancelFlag: Int32Array;
  onDetail?: (detail: GenerationDetail) => void;
}

/** A caller may listen to events only: its `done` rejecting must not count as an unhandled rejection. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

export class InferenceEngine {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly unloads: (() => void)[] = [];

  constructor(private readonly options: { workerScript: string }) {}

  generate(
    exportDir: string,
    messages: ChatMessage[],
    settings: DecodingSettings,
    onEvent: (e: GenerationEvent) => void,
  ): GenerationHandle {
    return this.start(exportDir, messages, settings, onEvent);
  }

  /** Same as `generate`, and hands over the generated ids and step count (for tests and the benchmark). */
  generateWithDetail(
    exportDir: string,
    messages: ChatMessage[],
    settings: DecodingSettings,
    onEvent: (e: GenerationEvent) => void,
    onDetail: (detail: GenerationDetail) => void,
  ): GenerationHandle {
    return this.start(exportDir, messages, settings, onEvent, onDetail);
  }

  /** Drops loaded exports in the worker (all when no folder is given), e.g. after one was exported again. */
  unload(exportDir?: string): Promise<void> {
    if (!this.worker) return Promise.resolve();
    return new Promise((resolve) => {
      this.unloads.push(resolve);
      this.worker?.ref();
      this.post({ type: 'unload', ...(exportDir === undefined ? {} : { exportDir }) });
    });
  }

  /** Cancels whatever runs or waits and ends the worker (its loaded models go with it). */
  async dispose(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    for (const [id, pending] of this.pending) {
      Atomics.store(pending.cancelFlag, 0, 1);
      pending.reject(new Error('the inference engine was disposed'));
      this.pending.delete(id);
    }
    for (const resolve of this.unloads.splice(0)) resolve();
    await worker?.terminate();
  }

  private start(
    exportDir: string,
    messages: ChatMessage[],
    settings: DecodingSettings,
    onEvent: (e: GenerationEvent) => void,
    onDetail?: (detail: GenerationDetail) => void,
  ): GenerationHandle {
    const cancelFlag = new Int32Array(new SharedArrayBuffer(4));
    const cancel = () => Atomics.store(cancelFlag, 0, 1);
    let settingsError: Error | undefined;
    try {
      checkDecodingSettings(settings);
    } catch (error) {
      settingsError = error as Error;
    }
    if (settingsError) {
      const message = settingsError.message;
      queueMicrotask(() => onEvent({ kind: 'error', message }));
      return { cancel, done: handled(Promise.reject(settingsError)) };
    }
    const id = this.nextId++;
    const done = new Promise<FinishedEvent>((resolve, reject) => {
      this.pending.set(id, { onEvent, resolve, reject, cancelFlag, ...(onDetail ? { onDetail } : {}) });
    });
    this.ensureWorker().ref();
    this.post({
      type: 'generate',
      id,
      exportDir,
      messages,
      settings,
      cancelFlag: cancelFlag.buffer as SharedArrayBuffer,
      ...(onDetail ? { withDetail: true } : {}),
    });
    return { cancel, done: handled(done) };
  }

  private post(request: WorkerRequest): void {
    this.ensureWorker().postMessage(request);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.options.workerScript);
    worker.on('message', (message: WorkerResponse) => this.receive(message));
    worker.on('error', (error) => this.failAll(`the inference worker failed: ${error.message}`));
    worker.on('exit', (code) => {
      if (this.worker === worker) {
        this.worker = undefined;
        this.failAll(`the inference worker exited (code ${code})`);
      }
    });
    this.worker = worker;
    return worker;
  }

  private receive(message: WorkerResponse): void {
    try {
      this.dispatch(message);
    } finally {
      // An idle worker must not keep the extension host (or a test run) alive.
      if (this.pending.size === 0 && this.unloads.length === 0) this.worker?.unref();
    }
  }

  private dispatch(message: WorkerResponse): void {
    if (message.type === 'unloaded') {
      this.unloads.shift()?.();
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    const { event } = message;
    pending.onEvent(event);
    if (event.kind === 'finished') {
      this.pending.delete(message.id);
      if (message.detail) pending.onDetail?.(message.detail);
      pending.resolve(event);
    } else if (event.kind === 'error') {
      this.pending.delete(message.id);
      pending.reject(new Error(event.message));
    }
  }

  private failAll(message: string): void {
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.onEvent({ kind: 'error', message });
      pending.reject(new Error(message));
    }
  }
}
