import * as assert from 'node:assert/strict';
import type { TrainerEvent } from '../../../src/protocol/trainer/events';
import { applyEvents, emptyProgress, estimateSecondsLeft } from '../../../src/runs/runState';

const clock = Date.parse('2025-01-01T00:00:00Z');
const at = (seconds: number) => new Date(clock + seconds * 1000).toISOString();
const started: TrainerEvent = {
  v: 1,
  event: 'run_started',
  time: at(0),
  run_id: 'r',
  output_dir: '/runs/r',
  config: { preset: 'cpu-small', eval_steps: 5 },
  environment: { python: '3.12', torch: '2', device: 'cpu', qlora: false },
  total_steps: 20,
};
const step = (n: number, t: number): TrainerEvent => ({
  v: 1,
  event: 'step',
  time: at(t),
  step: n,
  epoch: n / 20,
  loss: 1,
  learning_rate: 1e-4,
  grad_norm: null,
  tokens_per_second: 100,
});
const validating = (s: number, done: number, total: number, t: number): TrainerEvent => ({
  v: 1,
  event: 'validation_progress',
  time: at(t),
  step: s,
  done,
  total,
});
const evalAt = (s: number, t: number): TrainerEvent => ({
  v: 1,
  event: 'eval',
  time: at(t),
  step: s,
  epoch: s / 20,
  eval_loss: 1,
  perplexity: Math.E,
});

describe('run progress: validation and the ETA', () => {
  // 10 s a step; the validation after step 5 takes 60 s.
  const steps1to5 = [1, 2, 3, 4, 5].map((n) => step(n, n * 10));

  it('shows the validation pass under way and ends it with its eval', () => {
    const during = applyEvents(emptyProgress(), [started, ...steps1to5, validating(5, 3, 10, 70)]);
    assert.deepEqual(during.validating, { step: 5, done: 3, total: 10 });
    const after = applyEvents(emptyProgress(), [
      started,
      ...steps1to5,
      validating(5, 1, 10, 55),
      validating(5, 10, 10, 110),
      evalAt(5, 110),
    ]);
    assert.equal(after.validating, undefined);
    assert.deepEqual(after.validations, [{ step: 5, startedAt: clock + 55_000, endedAt: clock + 110_000 }]);
  });

  it('counts the validation passes still to come and takes validation time out of the step pace', () => {
    const events = [
      started,
      ...steps1to5,
      validating(5, 1, 10, 50),
      evalAt(5, 110),
      step(6, 120),
      step(7, 130),
    ];
    // Steps 1–7 span 120 s of which 60 s were validation: 10 s a step. 13 steps left = 130 s, plus the passes
    // at steps 10, 15 and 20 at 60 s each = 180 s.
    assert.equal(estimateSecondsLeft(applyEvents(emptyProgress(), events)), 310);
    // Before any pass finished, validation cannot be estimated: only steps count.
    assert.equal(estimateSecondsLeft(applyEvents(emptyProgress(), [started, ...steps1to5])), 150);
  });

  it('adds the rest of a pass under way', () => {
    const events = [
      started,
      ...steps1to5,
      validating(5, 1, 10, 50),
      evalAt(5, 110),
      ...[6, 7, 8, 9, 10].map((n) => step(n, 110 + (n - 5) * 10)),
      validating(10, 5, 10, 190),
    ];
    // 10 steps left at 10 s = 100 s; passes at 15 and 20 = 120 s; half of the current pass = 30 s.
    assert.equal(estimateSecondsLeft(applyEvents(emptyProgress(), events)), 250);
  });
});
