/**
 * onnxruntime session options for generation, chosen by measurement on SmolLM2-135M int4 (2 CPU cores, 2 intra-op
 * threads, onnxruntime's default count; greedy, alternating runs). Whether the pool's threads spin-wait for work
 * depends on what else runs:
 * - idle machine (2026-12-06, 3 × 3 runs of 64 tokens): spinning 47–53 tokens/s, sleeping 36–41;
 * - heavy load from other processes (load 8–15, 5 rounds of 32 tokens): spinning 4.8 tokens/s, sleeping 10.9; a
 *   thread that spins holds a core the other thread needs as soon as anything else runs.
 * So threads spin only when no other process was busy while the export loaded: the CPU time all cores spent beyond
 * this process's own, sampled for a moment. Not the load average, which counts this process's last generation too
 * (a Playground that just answered would never spin). The engine and the benchmark use the same choice.
 * No vscode import.
 */
import type { InferenceSession } from 'onnxruntime-common';
import * as os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Spinning pays while other processes keep less than this many cores busy. */
export const SPIN_BELOW_OTHER_CORES = 0.5;
const SAMPLE_MS = 200;

function busyAndTotalMs(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** Cores kept busy by other processes over `sampleMs` (all cores' busy time minus this process's CPU time). */
export async function otherProcessesBusyCores(sampleMs = SAMPLE_MS): Promise<number> {
  const before = busyAndTotalMs();
  const ownBefore = process.cpuUsage();
  const started = performance.now();
  await sleep(sampleMs);
  const own = process.cpuUsage(ownBefore);
  const after = busyAndTotalMs();
  const elapsed = performance.now() - started;
  const othersMs = after.busy - before.busy - (own.user + own.system) / 1000;
  return Math.max(0, othersMs) / elapsed;
}

export function spinningPays(otherBusyCores: number): boolean {
  return otherBusyCores < SPIN_BELOW_OTHER_CORES;
}

export function generationSessionOptions(spin: boolean): InferenceSession.SessionOptions {
  // Flattened by onnxruntime-node into the session config entry session.intra_op.allow_spinning.
  return { extra: { session: { intra_op: { allow_spinning: spin ? '1' : '0' } } } };
}

/** The options for a session loaded now, after a look at what else runs. */
export async function measuredGenerationSessionOptions(): Promise<InferenceSession.SessionOptions> {
  return generationSessionOptions(spinningPays(await otherProcessesBusyCores()));
}
