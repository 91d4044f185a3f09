/**
 * The inference worker (`out/inferenceWorker.js`, a worker_threads worker started by `InferenceEngine`): loads ONNX
 * exports and generates, so onnxruntime never runs on the extension host's thread. Requests run one at a time in
 * arrival order; loaded exports stay cached by folder until `unload`. Messages: src/protocol/inferenceWorker.ts.
 */
import { parentPort } from 'node:worker_threads';
import * as path from 'node:path';
import type { GenerationEvent, WorkerRequest, WorkerResponse } from '../protocol/inferenceWorker';
import { LoadedExport } from './generator';

type GenerateRequest = Extract<WorkerRequest, { type: 'generate' }>;

const port = parentPort;
if (!port) throw new Error('inferenceWorker.js runs as a worker thread (new Worker), not on its own');

const loaded = new Map<string, Promise<LoadedExport>>();
const queue: WorkerRequest[] = [];
let running = false;

function send(message: WorkerResponse): void {
  port!.postMessage(message);
}

function exportFor(dir: string, emit: (event: GenerationEvent) => void): Promise<LoadedExport> {
  const key = path.resolve(dir);
  let entry = loaded.get(key);
  if (!entry) {
    emit({ kind: 'loading', exportDir: key });
    entry = LoadedExport.load(key);
    // A failed load is not cached: the user may fix the export and ask again.
    entry.catch(() => loaded.delete(key));
    loaded.set(key, entry);
  }
  return entry;
}

async function generate(request: GenerateRequest): Promise<void> {
  const flag = new Int32Array(request.cancelFlag);
  const cancelled = () => Atomics.load(flag, 0) !== 0;
  const emit = (event: GenerationEvent) => send({ type: 'event', id: request.id, event });
  if (cancelled()) {
    // Cancelled while queued: finish without loading or running anything.
    const event = { kind: 'finished', reason: 'cancelled', text: '', tokenCount: 0 } as const;
    emit({ ...event, timeToFirstTokenMs: 0, tokensPerSecond: 0 });
    return;
  }
  try {
    const model = await exportFor(request.exportDir, emit);
    const { finished, detail } = await model.generate(request.messages, request.settings, cancelled, emit);
    send({ type: 'event', id: request.id, event: finished, ...(request.withDetail ? { detail } : {}) });
  } catch (error) {
    emit({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
  }
}

async function unload(exportDir: string | undefined): Promise<void> {
  const keys = exportDir === undefined ? [...loaded.keys()] : [path.resolve(exportDir)];
  for (const key of keys) {
    const entry = loaded.get(key);
    loaded.delete(key);
    await entry?.then((model) => model.dispose()).catch(() => undefined);
  }
  send({ type: 'unloaded', ...(exportDir === undefined ? {} : { exportDir }) });
}

async function drain(): Promise<void> {
  if (running) return;
  running = true;
  try {
    for (let request = queue.shift(); request; request = queue.shift()) {
      if (request.type === 'generate') await generate(request);
      else await unload(request.exportDir);
    }
  } finally {
    running = false;
  }
}

port.on('message', (request: WorkerRequest) => {
  queue.push(request);
  void drain();
});
