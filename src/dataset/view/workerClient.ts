/** Runs one dataset worker task in a worker thread; aborting the signal terminates the thread at once. */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ProgressReporter, WorkerRequest, WorkerResults } from './workerTasks';

export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
  }
}

type Reply<T> =
  | { ok: true; result: T }
  | { ok: false; error: string }
  | { progress: { done: number; total: number; detail?: number } };

export function runInWorker<T extends WorkerRequest['task']>(
  extensionPath: string,
  request: Extract<WorkerRequest, { task: T }>,
  signal?: AbortSignal,
  onProgress?: ProgressReporter,
): Promise<WorkerResults[T]> {
  if (signal?.aborted) return Promise.reject(new CancelledError());
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(extensionPath, 'out', 'datasetWorker.js'), { workerData: request });
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      action();
      void worker.terminate();
    };
    const onAbort = () => finish(() => reject(new CancelledError()));
    signal?.addEventListener('abort', onAbort);
    worker.on('message', (message: Reply<WorkerResults[T]>) => {
      if ('progress' in message)
        onProgress?.(message.progress.done, message.progress.total, message.progress.detail);
      else finish(() => (message.ok ? resolve(message.result) : reject(new Error(message.error))));
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) =>
      finish(() => reject(new Error(`the dataset worker stopped unexpectedly (exit code ${code})`))),
    );
  });
}
