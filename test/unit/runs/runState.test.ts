import * as assert from 'node:assert/strict';
import type { TrainerEvent } from '../../../src/protocol/trainer/events';
import {
  applyEvents,
  currentStep,
  deriveStatus,
  emptyProgress,
  estimateSecondsLeft,
  formatLoss,
} from '../../../src/runs/runState';

let clock = Date.parse('2025-01-01T00:00:00Z');
const at = (seconds: number) => new Date(clock + seconds * 1000).toISOString();
const started = (t = 0): TrainerEvent => ({
  v: 1,
  event: 'run_started',
  time: at(t),
  run_id: 'r',
  output_dir: '/runs/r',
  config: { preset: 'recommended' },
  environment: { python: '3.12', torch: '2', device: 'cpu', qlora: false },
  total_steps: 10,
});
const step = (n: number, t: number, loss = 1): TrainerEvent => ({
  v: 1,
  event: 'step',
  time: at(t),
  step: n,
  epoch: n / 10,
  loss,
  learning_rate: 1e-4,
  grad_norm: null,
  tokens_per_second: 100,
});

describe('run progress and status', () => {
  beforeEach(() => (clock = Date.parse('2025-01-01T00:00:00Z')));

  it('status comes from the terminal event, else from whether the process lives', () => {
    assert.equal(deriveStatus('run_finished', true), 'finished');
    assert.equal(deriveStatus('run_failed', false), 'failed');
    assert.equal(deriveStatus('run_cancelled', false), 'cancelled');
    assert.equal(deriveStatus(undefined, true), 'running');
    assert.equal(deriveStatus(undefined, false), 'interrupted');
  });

  it('folds steps, evals, checkpoints and the terminal event', () => {
    const progress = applyEvents(emptyProgress(), [
      started(),
      step(1, 1, 2.5),
      step(2, 2, 2.0),
      { v: 1, event: 'eval', time: at(3), step: 2, eval_loss: 2.2, perplexity: 9.0 },
      {
        v: 1,
        event: 'checkpoint',
        time: at(3),
        step: 2,
        path: '/runs/r/checkpoint-2',
        eval_loss: 2.2,
        is_best: true,
      },
      {
        v: 1,
        event: 'run_finished',
        time: at(4),
        step: 2,
        best_checkpoint: '/runs/r/checkpoint-2',
        adapter_path: '/runs/r/adapter',
      },
    ]);
    assert.equal(progress.terminal, 'run_finished');
    assert.deepEqual(
      progress.steps.map((s) => s.loss),
      [2.5, 2.0],
    );
    assert.equal(progress.evals[0].evalLoss, 2.2);
    assert.equal(progress.bestCheckpoint, '/runs/r/checkpoint-2');
    assert.equal(currentStep(progress), 2);
    assert.equal(progress.totalSteps, 10);
  });

  it('a resumed run clears the earlier terminal event and re-logged steps replace the old ones', () => {
    const progress = applyEvents(emptyProgress(), [
      started(),
      step(1, 1),
      step(2, 2),
      step(3, 3),
      { v: 1, event: 'run_cancelled', time: at(4), step: 3, checkpoint: '/runs/r/checkpoint-2' },
    ]);
    assert.equal(progress.terminal, 'run_cancelled');
    applyEvents(progress, [
      { ...started(10), resumed_from: '/runs/r/checkpoint-2' } as TrainerEvent,
      step(3, 11, 0.5),
      step(4, 12, 0.4),
    ]);
    assert.equal(progress.terminal, undefined);
    assert.equal(currentStep(progress), 4, 'the cancelled step no longer pins the progress');
    assert.equal(progress.cancelCheckpoint, undefined);
    assert.deepEqual(
      progress.steps.map((s) => [s.step, s.loss]),
      [
        [1, 1],
        [2, 1],
        [3, 0.5],
        [4, 0.4],
      ],
    );
    assert.equal(progress.startedAt, clock, 'the run keeps its first start time');
    assert.equal(progress.resumedFrom, '/runs/r/checkpoint-2');
  });

  it('estimates the time left from the recent pace', () => {
    const progress = applyEvents(emptyProgress(), [started(), step(1, 60), step(2, 62), step(4, 66)]);
    // 2 s per step since step 1 (model loading before it does not count), 6 steps to go.
    assert.equal(estimateSecondsLeft(progress, 3), 12);
    assert.equal(estimateSecondsLeft(applyEvents(emptyProgress(), [started(), step(1, 1)])), undefined);
  });

  it('formats losses compactly', () => {
    assert.equal(formatLoss(1.2345), '1.23');
    assert.equal(formatLoss(0.01234), '0.012');
    assert.equal(formatLoss(null), '–');
  });
});
