import * as assert from 'node:assert/strict';
import type { TrainerEvent, TrainingPhase } from '../../../src/protocol/trainer/events';
import type { RunInfo } from '../../../src/runs/registry';
import {
  applyEvents,
  currentStep,
  emptyProgress,
  estimateSecondsLeft,
  lossText,
  type RunStatus,
} from '../../../src/runs/runState';
import { runDescription, runFacts } from '../../../src/runs/view/runItems';

/** What a newcomer sees while a run starts, trains, validates, saves and ends (issue 22, item 2). */

const t0 = Date.parse('2026-12-06T00:00:00Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();

function run(status: RunStatus, events: TrainerEvent[]): RunInfo {
  return {
    dir: '/runs/demo',
    name: 'demo',
    status,
    progress: applyEvents(emptyProgress(), events),
    checkpoints: [],
    skippedLines: 0,
    createdAt: t0,
    files: {},
  };
}

const phase = (name: TrainingPhase, s: number, stepAt: number | null = null): TrainerEvent => ({
  v: 1,
  event: 'phase',
  time: at(s),
  phase: name,
  step: stepAt,
});
const started = (s: number, total = 6): TrainerEvent => ({
  v: 1,
  event: 'run_started',
  time: at(s),
  run_id: 'demo',
  output_dir: '.',
  config: { eval_steps: 500 },
  environment: { python: '3.11', torch: '2.13', device: 'cpu', qlora: false },
  total_steps: total,
});
const step = (n: number, s: number, loss: number, total = 6): TrainerEvent => ({
  v: 1,
  event: 'step',
  time: at(s),
  step: n,
  total_steps: total,
  epoch: n / total,
  loss,
  learning_rate: 1e-4,
  grad_norm: 1,
  tokens_per_second: 100,
});

describe('run phases, ETA and step-marked values', () => {
  it('names the phase before training instead of "starting…" or a frozen step 0', () => {
    assert.equal(runDescription(run('running', [phase('tokenizing', 0)])), 'tokenizing…');
    assert.equal(
      runDescription(run('running', [phase('tokenizing', 0), phase('loading_model', 2)])),
      'loading the model…',
    );
  });

  it('gives an ETA from the first step, timed from the start of training', () => {
    const events = [phase('loading_model', 0), started(20), phase('training', 21, 0), step(1, 31, 2.5)];
    const info = run('running', events);
    // 10 s for step 1, 5 steps to go.
    assert.equal(estimateSecondsLeft(info.progress), 50);
    assert.equal(runDescription(info), 'step 1/6 · loss 2.50 · ETA 50s');
    assert.ok(runFacts(info).some((f) => f.key === 'eta' && f.value === '50s'));
    // Without a known start of training one point gives no pace (the old behaviour for older runs).
    assert.equal(estimateSecondsLeft(run('running', [started(0), step(1, 31, 2.5)]).progress), undefined);
  });

  it('says when it validates and saves, with the step it is at', () => {
    const base = [started(0), phase('training', 1, 0), step(1, 11, 2.5), step(6, 61, 2.0)];
    const saving = run('running', [...base, phase('saving', 62, 6)]);
    assert.match(runDescription(saving), /^step 6\/6 · loss 2\.00 · saving… · ETA 0s$/);
    const validating = run('running', [...base, phase('validating', 62, 6)]);
    assert.match(runDescription(validating), /validating…/);
    const finished = run('finished', [
      ...base,
      phase('saving', 62, 6),
      {
        v: 1,
        event: 'run_finished',
        time: at(70),
        step: 6,
        best_checkpoint: null,
        adapter_path: 'adapter',
      },
    ]);
    assert.equal(finished.progress.phase, undefined);
    assert.doesNotMatch(runDescription(finished), /saving/);
  });

  it('marks a loss with its step when the run has moved past it ("loss 2.58 @ step 10")', () => {
    const cancelled = run('cancelled', [
      started(0, 20),
      step(10, 100, 2.58, 20),
      { v: 1, event: 'run_cancelled', time: at(150), step: 15, checkpoint: 'checkpoint-15' },
    ]);
    assert.equal(currentStep(cancelled.progress), 15);
    assert.equal(runDescription(cancelled), 'cancelled · step 15/20 · loss 2.58 @ step 10');
    assert.equal(runFacts(cancelled).find((f) => f.key === 'loss')?.value, '2.58 @ step 10');
    const same = run('cancelled', [
      started(0, 20),
      step(15, 100, 2.4, 20),
      { v: 1, event: 'run_cancelled', time: at(150), step: 15, checkpoint: 'checkpoint-15' },
    ]);
    assert.equal(lossText(same.progress), 'loss 2.40');
  });

  it('a resumed segment keeps its loading phase and times its own start of training', () => {
    const events = [
      started(0, 20),
      phase('training', 1, 0),
      step(10, 101, 2.6, 20),
      { v: 1, event: 'run_cancelled', time: at(110), step: 10, checkpoint: 'checkpoint-10' } as TrainerEvent,
      phase('loading_model', 200),
      started(230, 20),
    ];
    const resumed = run('running', events);
    assert.equal(resumed.progress.phase?.name, 'loading_model');
    assert.equal(resumed.progress.trainingStart, undefined);
    const training = run('running', [...events, phase('training', 231, 10), step(11, 236, 2.5, 20)]);
    assert.equal(estimateSecondsLeft(training.progress), 45);
  });
});
