import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { requireEnv } from '../../support/codeServer';
import { fixturesDir, repoRoot } from '../../support/paths';
import { startWorkbench, type Workbench } from './workbench';

/**
 * Trains the tiny Qwen3 for 3 steps with the real trainer into `runDir` (what "Train adapter" would start), for
 * tests whose subject is what comes after training: a real run folder with checkpoint-3.
 */
export async function trainTinyRun(runDir: string, exportDir: string, model: string): Promise<void> {
  mkdirSync(runDir, { recursive: true });
  const q = JSON.stringify;
  const config = path.join(runDir, 'run.yaml');
  writeFileSync(
    config,
    [
      'preset: recommended',
      `model_name_or_path: ${q(model)}`,
      `train_file: ${q(path.join(exportDir, 'train.jsonl'))}`,
      `validation_file: ${q(path.join(exportDir, 'validation.jsonl'))}`,
      `dataset_manifest: ${q(path.join(exportDir, 'manifest.json'))}`,
      `output_dir: ${q(runDir)}`,
      'max_steps: 3',
      'eval_steps: 3',
      'save_steps: 3',
      'logging_steps: 1',
      'max_length: 128',
      '',
    ].join('\n'),
  );
  const child = spawn(requireEnv('MEDQA_PYTHON'), ['-m', 'medqa_trainer', 'train', '--config', config], {
    cwd: runDir,
    env: {
      ...process.env,
      PYTHONPATH: path.join(repoRoot, 'trainer'),
      HF_HUB_OFFLINE: '1',
      TRANSFORMERS_OFFLINE: '1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-3000)));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, `the trainer failed:\n${stderr}`);
}

/**
 * A workbench on a fresh demo copy holding a tiny run trained for 3 steps (`.medqa/runs/<runName>/checkpoint-3`),
 * on the evaluation fixture export.
 */
export async function startWorkbenchWithTinyRun(runName: string): Promise<Workbench> {
  const tiny = process.env.MEDQA_TEST_TINY_MODEL;
  assert.ok(
    tiny && existsSync(path.join(tiny, 'config.json')),
    'MEDQA_TEST_TINY_MODEL must name the tiny model (./studio setup builds it)',
  );
  const workbench = await startWorkbench();
  const exportDir = path.join(workbench.workspaceDir, '.medqa', 'exports', 'evaluation-fixture');
  cpSync(path.join(fixturesDir, 'evaluation', 'export'), exportDir, { recursive: true });
  await trainTinyRun(path.join(workbench.workspaceDir, '.medqa', 'runs', runName), exportDir, tiny);
  return workbench;
}
