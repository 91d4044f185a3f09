import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { trainArgs } from '../../../src/training/launcher';
import {
  buildRunConfig,
  defaultRunName,
  parseOverride,
  toFlatYaml,
  validateOverrides,
} from '../../../src/training/trainConfig';
import { parseRunYaml } from '../../../src/runs/runYaml';
import { repoRoot } from '../../support/paths';

const input = {
  model: 'Qwen/Qwen3-0.6B',
  preset: 'recommended' as const,
  trainFile: '/data/export/train.jsonl',
  validationFile: '/data/export/validation.jsonl',
  manifestFile: '/data/export/manifest.json',
  outputDir: '/runs/20250101-000000-recommended',
};

describe('run.yaml', () => {
  it('maps the choices onto contract #2 field names, overrides last', () => {
    const config = buildRunConfig({
      ...input,
      overrides: { learning_rate: 0.0001, max_steps: 4, lora_target_modules: ['q_proj', 'v_proj'] },
    });
    assert.deepEqual(Object.keys(config), [
      'preset',
      'model_name_or_path',
      'train_file',
      'validation_file',
      'dataset_manifest',
      'output_dir',
      'learning_rate',
      'max_steps',
      'lora_target_modules',
    ]);
    assert.equal(config.model_name_or_path, 'Qwen/Qwen3-0.6B');
  });

  it('writes YAML that round-trips, floats keep a dot for PyYAML, odd strings stay strings', () => {
    const config = buildRunConfig({
      ...input,
      outputDir: '/runs/a: b #c "quoted"\nnext',
      overrides: {
        learning_rate: 2e-7,
        num_train_epochs: 3,
        max_length: 512,
        packing: false,
        system_prompt: null,
        lora_target_modules: ['q_proj'],
      },
    });
    const yaml = toFlatYaml(config, 'written by a test');
    assert.match(yaml, /^# written by a test\n/);
    assert.match(yaml, /^learning_rate: 2\.0e-7$/m);
    assert.match(yaml, /^num_train_epochs: 3\.0$/m);
    assert.match(yaml, /^max_length: 512$/m);
    assert.deepEqual(parseRunYaml(yaml), { ...config, num_train_epochs: 3 });
  });

  it("PyYAML (the trainer's reader) reads the file back to the same values and types", function () {
    const python = path.join(repoRoot, '.venv', 'bin', 'python');
    assert.ok(
      existsSync(python),
      `this test needs the project venv at ${python} (see trainer/requirements.txt)`,
    );
    const config = buildRunConfig({
      ...input,
      outputDir: "/runs/it's: here",
      overrides: {
        learning_rate: 2e-4,
        warmup_ratio: 0.03,
        num_train_epochs: 1,
        max_steps: -1,
        gradient_checkpointing: true,
        deepspeed: null,
      },
    });
    const script = 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))';
    const loaded = JSON.parse(
      execFileSync(python, ['-c', script], { input: toFlatYaml(config), encoding: 'utf8' }),
    );
    assert.deepEqual(loaded, config);
    const types = execFileSync(
      python,
      [
        '-c',
        'import sys, yaml; d = yaml.safe_load(sys.stdin.read()); print(type(d["learning_rate"]).__name__, type(d["num_train_epochs"]).__name__)',
      ],
      { input: toFlatYaml(config), encoding: 'utf8' },
    );
    assert.equal(types.trim(), 'float float');
  });

  it('reads a PyYAML-style resolved config with block lists and the nested run_info block', () => {
    const text =
      "learning_rate: 0.0002\nlora_target_modules:\n- q_proj\n- v_proj\nmodel_name_or_path: Qwen/Qwen3-0.6B\nsystem_prompt: null\npacking: false\nname: 'it''s'\nwarmup_ratio: 5.0e-02\nrun_info:\n  model_path: /models/smollm2\n  versions:\n    torch: 2.13.0\n";
    assert.deepEqual(parseRunYaml(text), {
      learning_rate: 0.0002,
      lora_target_modules: ['q_proj', 'v_proj'],
      model_name_or_path: 'Qwen/Qwen3-0.6B',
      system_prompt: null,
      packing: false,
      name: "it's",
      warmup_ratio: 0.05,
      run_info: { model_path: '/models/smollm2', versions: { torch: '2.13.0' } },
    });
  });

  it('reads the config.yaml the real trainer wrote, and names the line of broken YAML', () => {
    const shipped = readFileSync(
      path.join(repoRoot, 'demo', '.medqa', 'runs', 'smollm2-medquad-cpu-small', 'config.yaml'),
      'utf8',
    );
    const config = parseRunYaml(shipped);
    assert.equal(config.model_name_or_path, 'smollm2-135m-instruct');
    assert.equal(typeof (config.run_info as Record<string, unknown>).model_path, 'string');
    assert.throws(() => parseRunYaml('model: [unclosed\nother: 1\n'), /line \d+: /);
    assert.throws(() => parseRunYaml('- a\n- b\n'), /expected a mapping/);
  });

  it('validates overrides with messages that say what is expected', () => {
    assert.deepEqual(parseOverride('max_length', '256'), { value: 256 });
    assert.deepEqual(parseOverride('max_steps', '-1'), { value: -1 });
    assert.match(
      (parseOverride('max_length', '12.5') as { error: string }).error,
      /whole number.*16 to 32768/,
    );
    assert.match((parseOverride('learning_rate', '0') as { error: string }).error, /out of range/);
    assert.match((parseOverride('learning_rate', 'fast') as { error: string }).error, /not a number/);
    assert.deepEqual(parseOverride('lora_target_modules', 'q_proj, v_proj'), { value: ['q_proj', 'v_proj'] });
    assert.deepEqual(parseOverride('packing', 'true'), { value: true });
    assert.throws(() => validateOverrides({ lr: 1, max_length: 'x' }), /"lr" is not a setting.*Max length/);
    assert.throws(() => validateOverrides({ output_dir: '/tmp' }), /"output_dir" is not a setting/);
    assert.deepEqual(validateOverrides({ max_steps: 3, eval_steps: '2' }), { max_steps: 3, eval_steps: 2 });
  });

  it('names runs by time and preset', () => {
    assert.equal(
      defaultRunName(new Date(2025, 0, 31, 14, 5, 9), 'reference-recipe'),
      '20250131-140509-reference-recipe',
    );
  });
});

describe('trainer command line', () => {
  it('is an argument array per contract #2; paths with spaces or shell characters stay one argument', () => {
    assert.deepEqual(trainArgs('/runs/a b; rm -rf ~/run.yaml'), [
      '-m',
      'medqa_trainer',
      'train',
      '--config',
      '/runs/a b; rm -rf ~/run.yaml',
    ]);
    assert.deepEqual(trainArgs('/r/run.yaml', { resume: 'latest', events: '/r/e.jsonl' }), [
      '-m',
      'medqa_trainer',
      'train',
      '--config',
      '/r/run.yaml',
      '--resume',
      'latest',
      '--events',
      '/r/e.jsonl',
    ]);
  });
});
