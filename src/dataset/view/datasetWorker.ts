/**
 * Worker-thread entry (bundled to out/datasetWorker.js): runs the CPU-heavy core steps (import, duplicate scan, split,
 * token statistics) off the extension host's thread, so the UI stays responsive and "Cancel" can end the work at once
 * (the host terminates the worker). One task per worker; the request arrives as workerData.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runWorkerTask, type WorkerRequest } from './workerTasks';

let lastReport = 0;
void runWorkerTask(workerData as WorkerRequest, (done, total, detail) => {
  // A few progress messages a second are plenty.
  const now = Date.now();
  if (now - lastReport < 200 && done < total) return;
  lastReport = now;
  parentPort?.postMessage({ progress: { done, total, detail } });
}).then(
  (result) => parentPort?.postMessage({ ok: true, result }),
  (error: unknown) =>
    parentPort?.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) }),
);
