import * as assert from 'node:assert/strict';
import type { BasePrecision, TrainerEvent } from '../../../src/protocol/trainer/events';
import { applyEvents, emptyProgress } from '../../../src/runs/runState';
import { measuredTokensPerSecond, trainingModeText } from '../../../src/runs/trainingMode';
import { runFacts } from '../../../src/runs/view/runItems';

const t0 = Date.parse('2026-12-06T12:00:00Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();

const started = (environment: {
  device: string;
  qlora: boolean;
  base_precision?: BasePrecision;
}): TrainerEvent => ({
  v: 1,
  event: 'run_started',
  time: at(0),
  run_id: 'r',
  output_dir: '/runs/r',
  config: { quantization: 'nf4' },
  environment: { python: '3.11', torch: '2.13', ...environment },
  total_steps: 2,
});
const step = (n: number, tps: number): TrainerEvent => ({
  v: 1,
  event: 'step',
  time: at(n * 10),
  step: n,
  epoch: n / 2,
  loss: 2,
  learning_rate: 1e-3,
  grad_norm: 1,
  tokens_per_second: tps,
});
const finished = (tps: number | undefined): TrainerEvent => ({
  v: 1,
  event: 'run_finished',
  time: at(30),
  step: 2,
  best_checkpoint: null,
  adapter_path: '/runs/r/adapter',
  ...(tps === undefined ? {} : { tokens_per_second: tps }),
});

describe('training mode and measured speed', () => {
  it('names QLoRA on a 4-bit NF4 base and LoRA on a full-precision one', () => {
    const nf4 = { device: 'cpu', qlora: true, base_precision: 'nf4' as const };
    assert.equal(trainingModeText({ python: '3', torch: '2', ...nf4 }), 'QLoRA · 4-bit NF4 base');
    const fp32 = { python: '3', torch: '2', device: 'cpu', qlora: false, base_precision: 'fp32' as const };
    assert.equal(trainingModeText(fp32), 'LoRA · fp32 base');
    // Runs from before base_precision: qlora true always meant NF4; false says nothing about the dtype.
    assert.equal(
      trainingModeText({ python: '3', torch: '2', device: 'cuda:A100', qlora: true }),
      'QLoRA · 4-bit NF4 base',
    );
    assert.equal(trainingModeText({ python: '3', torch: '2', device: 'cpu', qlora: false }), 'LoRA');
  });

  it("takes the trainer's run mean once finished, the logged steps' mean before", () => {
    const begun = [started({ device: 'cpu', qlora: true, base_precision: 'nf4' }), step(1, 40), step(2, 60)];
    assert.equal(measuredTokensPerSecond(applyEvents(emptyProgress(), begun)), 50);
    const done = applyEvents(emptyProgress(), [...begun, finished(47.5)]);
    assert.equal(measuredTokensPerSecond(done), 47.5);
    // A finished run from an older trainer (no tokens_per_second) falls back to the steps.
    assert.equal(measuredTokensPerSecond(applyEvents(emptyProgress(), [...begun, finished(undefined)])), 50);
    assert.equal(measuredTokensPerSecond(emptyProgress()), undefined);
  });

  it('the Runs view says a 4-bit run ran 4-bit, with its speed', () => {
    const events = [started({ device: 'cpu', qlora: true, base_precision: 'nf4' }), step(1, 40), step(2, 60)];
    const facts = runFacts({
      dir: '/runs/r',
      name: 'r',
      status: 'finished',
      progress: applyEvents(emptyProgress(), [...events, finished(47.5)]),
      checkpoints: [],
      skippedLines: 0,
      createdAt: t0,
      files: {},
    });
    const byKey = Object.fromEntries(facts.map((f) => [f.key, f.value]));
    assert.equal(byKey.device, 'cpu · QLoRA · 4-bit NF4 base');
    assert.equal(byKey.throughput, '60 (run mean 48)');
  });
});
