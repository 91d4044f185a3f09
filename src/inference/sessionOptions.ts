/**
 * onnxruntime session options for generation, chosen by measurement on SmolLM2-135M int4 (2 CPU cores, 2 intra-op
 * threads, onnxruntime's default count; greedy, alternating runs). Whether the pool's threads spin-wait for work
 * depends on what else runs:
 * - idle machine (load < 0.2, 2026-12-06, 3 × 3 runs of 64 tokens): spinning 47–53 tokens/s, sleeping 36–41;
 * - heavy load from other processes (load 8–15, 5 rounds of 32 tokens): spinning 4.8 tokens/s, sleeping 10.9; a
 *   thread that spins holds a core the other thread needs as soon as anything else runs.
 * So threads spin only when the machine was idle when the export was loaded (1-minute load average under half the
 * cores); with a training run or a busy editor they sleep. Windows reports no load average (0): there they spin, as
 * onnxruntime does by default. The engine and the benchmark use the same choice.
 * No vscode import.
 */
import type { InferenceSession } from 'onnxruntime-common';
import * as os from 'node:os';

/** Spinning pays while the load per core stays under this. */
export const SPIN_BELOW_LOAD_PER_CORE = 0.5;

export function spinningPays(loadAverage = os.loadavg()[0], cores = os.availableParallelism()): boolean {
  return loadAverage / cores < SPIN_BELOW_LOAD_PER_CORE;
}

export function generationSessionOptions(spin = spinningPays()): InferenceSession.SessionOptions {
  // Flattened by onnxruntime-node into the session config entry session.intra_op.allow_spinning.
  return { extra: { session: { intra_op: { allow_spinning: spin ? '1' : '0' } } } };
}
