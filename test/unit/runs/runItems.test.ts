import * as assert from 'node:assert/strict';
import type { TrainerEvent } from '../../../src/protocol/trainer/events';
import type { RunInfo } from '../../../src/runs/registry';
import { applyEvents, emptyProgress, type RunStatus } from '../../../src/runs/runState';
import { runDescription, runFacts } from '../../../src/runs/view/runItems';

const t0 = Date.parse('2025-01-01T00:00:00Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();

function run(status: RunStatus, events: TrainerEvent[]): RunInfo {
  return {
    dir: '/runs/r1',
    name: 'r1',
    status,
    progress: applyEvents(emptyProgress(), events),
    checkpoints: [],
    skippedLines: 0,
    createdAt: t0,
    files: {},
  };
}

const started: TrainerEvent = {
  v: 1,
  event: 'run_started',
  time: at(0),
  run_id: 'r1',
  output_dir: '/runs/r1',
  config: {
    model_name_or_path: 'Qwen/Qwen3-0.6B',
    preset: 'recommended',
    dataset_manifest: '/data/exports/e1/manifest.json',
  },
  environment: { python: '3.11', torch: '2.13', device: 'cpu', qlora: false },
  total_steps: 60,
};
const step = (n: number, s: number, loss: number): TrainerEvent => ({
  v: 1,
  event: 'step',
  time: at(s),
  step: n,
  epoch: n / 60,
  loss,
  learning_rate: 1e-4,
  grad_norm: 1,
  tokens_per_second: 1234.5,
});

describe('run presentation', () => {
  it('describes a running run as "step 40/60 · loss 1.23" plus the time left', () => {
    const info = run('running', [started, step(30, 100, 1.5), step(40, 120, 1.234)]);
    assert.equal(runDescription(info), 'step 40/60 · loss 1.23 · ETA 40s');
  });

  it('says starting before the first step, and the outcome once it ended', () => {
    assert.equal(runDescription(run('running', [])), 'starting…');
    const finished = run('finished', [
      started,
      step(60, 200, 0.9),
      {
        v: 1,
        event: 'run_finished',
        time: at(201),
        step: 60,
        best_checkpoint: null,
        best_eval_loss: 1.05,
        adapter_path: '/runs/r1/adapter',
      },
    ]);
    assert.equal(runDescription(finished), 'finished · step 60/60 · loss 0.90 · best eval 1.05');
    assert.equal(
      runDescription(run('interrupted', [started, step(12, 50, 2)])),
      'interrupted · step 12/60 · loss 2.00',
    );
  });

  it('lists the key facts, the error first when there is one', () => {
    const failed = run('failed', [
      started,
      step(5, 10, 2),
      {
        v: 1,
        event: 'run_failed',
        time: at(11),
        error: 'CUDA out of memory',
        traceback_path: '/runs/r1/traceback.txt',
      },
    ]);
    const facts = runFacts(failed);
    assert.deepEqual(facts[0], {
      key: 'error',
      label: 'Error',
      value: 'CUDA out of memory',
      tooltip: 'CUDA out of memory',
      file: '/runs/r1/traceback.txt',
    });
    const byKey = Object.fromEntries(facts.map((f) => [f.key, f.value]));
    assert.equal(byKey.model, 'Qwen/Qwen3-0.6B');
    assert.equal(byKey.preset, 'recommended');
    assert.equal(byKey.device, 'cpu · LoRA');
    assert.equal(byKey.progress, 'step 5/60 · epoch 0.08');
    assert.equal(byKey.throughput, '1,235 (run mean 1,235)');
    assert.equal(byKey.duration, '11s');
  });
});
