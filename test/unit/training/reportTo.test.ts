import * as assert from 'node:assert/strict';
import {
  parseOverride,
  toFlatYaml,
  validateOverrides,
  withReportTo,
} from '../../../src/training/trainConfig';
import { TRAINING, trainingNeeds } from '../../../src/trainer/needs';

/** run.yaml `report_to` (issue 19): TensorBoard and/or MLflow through the HF Trainer's own integrations. */
describe('report_to: the experiment trackers a run logs to', () => {
  it('reads a comma-separated choice, as the wizard and the setting give it', () => {
    assert.deepEqual(parseOverride('report_to', 'tensorboard, mlflow'), { value: ['tensorboard', 'mlflow'] });
    assert.deepEqual(parseOverride('report_to', ['mlflow']), { value: ['mlflow'] });
    assert.deepEqual(parseOverride('report_to', 'none'), { value: ['none'] });
  });

  it('refuses what the trainer refuses, saying what is allowed', () => {
    const wandb = parseOverride('report_to', 'wandb');
    assert.ok('error' in wandb && wandb.error.includes('"wandb" is not one of none, tensorboard, mlflow'));
    const mixed = parseOverride('report_to', 'none,mlflow');
    assert.ok('error' in mixed && mixed.error.includes('none cannot be combined'));
    const twice = parseOverride('report_to', 'mlflow,mlflow');
    assert.ok('error' in twice && twice.error.includes('names an item twice'));
    assert.throws(() => validateOverrides({ report_to: 'tensorbord' }), /Report to \(report_to\)/);
  });

  it('takes the setting unless the run overrides it; none leaves run.yaml without the key', () => {
    assert.deepEqual(withReportTo({}, 'tensorboard,mlflow'), { report_to: ['tensorboard', 'mlflow'] });
    assert.deepEqual(withReportTo({ lora_r: 4 }, 'none'), { lora_r: 4 });
    assert.deepEqual(withReportTo({ report_to: ['none'] }, 'mlflow'), { report_to: ['none'] });
    assert.throws(() => withReportTo({}, 'wandb'), /medqa\.training\.reportTo: Report to/);
    assert.match(
      toFlatYaml(withReportTo({}, 'tensorboard')),
      /^report_to: \[ "tensorboard" \]|^report_to: \["tensorboard"\]/m,
    );
  });

  it('asks the interpreter for each tracker’s package before training', () => {
    assert.equal(trainingNeeds([]), TRAINING);
    assert.equal(trainingNeeds(['none']), TRAINING);
    const both = trainingNeeds(['tensorboard', 'mlflow']);
    assert.deepEqual(both.packages, [...TRAINING.packages, 'tensorboard', 'mlflow-skinny']);
    assert.match(both.action, /report_to tensorboard, mlflow/);
  });
});
