/**
 * onnxruntime session options for generation, chosen by measurement (SmolLM2-135M int4, 2 shared CPU cores, 5
 * alternating rounds of 32 greedy tokens, 2026-12-06 under heavy load from other processes): intra-op threads = the
 * physical cores (onnxruntime's default; 2 here) with spin-waiting off gave a median 10.9 tokens/s, one thread 9.8,
 * and the default two spinning threads 4.8: a worker that spins for work holds a core the other thread needs as soon
 * as anything else runs, which on a developer's machine (the editor, a training run) is the normal case.
 * The engine and the benchmark's bare loop use the same options. No vscode import.
 */
import type { InferenceSession } from 'onnxruntime-common';

export const GENERATION_SESSION_OPTIONS: InferenceSession.SessionOptions = {
  // Flattened by onnxruntime-node into the session config entry session.intra_op.allow_spinning = 0.
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};
