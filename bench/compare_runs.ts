/**
 * Benchmark: the run comparison panel's first paint. Ten runs of 50,000 logged steps each (with an evaluation every
 * 500 steps) are compared; building the panel state with min/max decimation and serialising it (what postMessage
 * sends after `ready`) must take < 300 ms. The reference, measured in the same run, builds the naive state that
 * sends every logged point. Printed: both times, the ratio, and the ratio of the payload sizes.
 */
import type { RunInfo } from '../src/runs/registry';
import { buildComparisonState } from '../src/runComparison/comparisonState';
import { emptyProgress } from '../src/runs/runState';
import { median, report, runIfMain } from './support';

const RUNS = 10;
const STEPS = 50_000;
const TARGET_MS = 300;

/** A finished run with a noisy, decaying loss; runs differ in learning rate and LoRA rank. */
function syntheticRun(index: number): RunInfo {
  const progress = emptyProgress();
  const start = Date.parse('2026-01-01T00:00:00Z') + index * 86_400_000;
  progress.startedAt = start;
  progress.config = {
    model_name_or_path: 'smollm2-135m-instruct',
    learning_rate: 1e-4 * (1 + index),
    lora_r: 8 << (index % 3),
    lora_target_modules: ['all-linear'],
    seed: 42,
    output_dir: `/runs/run-${index}`,
  };
  let seed = 1234 + index;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  for (let step = 1; step <= STEPS; step++) {
    const time = start + step * 900 + Math.floor(random() * 100);
    progress.steps.push({
      step,
      epoch: Number(((3 * step) / STEPS).toFixed(4)),
      loss: 2.5 / Math.sqrt(1 + step / 400) + (random() - 0.5) * 0.2,
      learningRate: 1e-4,
      gradNorm: 1 + random(),
      tokensPerSecond: 2000 + random() * 200,
      time,
    });
    if (step % 500 === 0)
      progress.evals.push({ step, evalLoss: 2 / Math.sqrt(1 + step / 500), perplexity: 3, time });
  }
  progress.lastEventAt = progress.endedAt = start + STEPS * 1000;
  progress.terminal = 'run_finished';
  progress.finalStep = STEPS;
  return {
    dir: `/runs/run-${index}`,
    name: `run-${index}`,
    status: 'finished',
    progress,
    checkpoints: [],
    skippedLines: 0,
    createdAt: start,
    files: {},
  };
}

function firstPaint(runs: RunInfo[], buckets?: number): { ms: number; bytes: number; points: number } {
  const started = performance.now();
  const state = buildComparisonState({
    runs,
    now: Date.now(),
    view: { xAxis: 'step', smoothing: 0.6, range: null },
    buckets,
  });
  const payload = JSON.stringify({ type: 'state', state });
  return { ms: performance.now() - started, bytes: payload.length, points: state.points.shown };
}

export async function benchCompareRuns(repeats = 5): Promise<boolean> {
  const runs = Array.from({ length: RUNS }, (_, i) => syntheticRun(i));
  firstPaint(runs); // warm-up (JIT)
  const decimated: number[] = [];
  const naive: number[] = [];
  let small = { ms: 0, bytes: 0, points: 0 };
  let full = { ms: 0, bytes: 0, points: 0 };
  for (let i = 0; i < repeats; i++) {
    small = firstPaint(runs);
    decimated.push(small.ms);
    full = firstPaint(runs, 0);
    naive.push(full.ms);
  }
  const ours = median(decimated);
  const reference = median(naive);
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
  return report(
    'compare runs (first paint)',
    `${RUNS} runs × ${STEPS.toLocaleString('en-US')} steps: state with decimation ${ours.toFixed(1)} ms median ` +
      `(target < ${TARGET_MS} ms) vs every point ${reference.toFixed(1)} ms → ${(reference / ours).toFixed(1)}x faster; ` +
      `payload ${mb(small.bytes)} (${small.points.toLocaleString('en-US')} points) vs ${mb(full.bytes)} ` +
      `(${full.points.toLocaleString('en-US')} points) → ${(full.bytes / small.bytes).toFixed(1)}x smaller`,
    ours < TARGET_MS,
  );
}

runIfMain('compare_runs', () => benchCompareRuns());
