import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunsViewSnapshot } from '../../../src/runs/view/runsSnapshot';
import { writeTrainingExport } from '../../support/trainingExport';
import type { MedqaApi } from '../../../src/extension';
import { activateMedqa, tinyModelDir, workspaceRoot } from '../support';

type SnapshotRun = RunsViewSnapshot['runs'][number];

/** Few steps, short sequences: the real trainer on the tiny model finishes in seconds on a CPU. */
const QUICK = { max_steps: 4, eval_steps: 2, save_steps: 2, logging_steps: 1, max_length: 256 };

async function snapshot(): Promise<RunsViewSnapshot> {
  const result = await vscode.commands.executeCommand<RunsViewSnapshot>('medqa.runs.refresh');
  assert.ok(result, 'medqa.runs.refresh returned nothing');
  return result;
}

async function waitForRun(
  runDir: string,
  accept: (run: SnapshotRun) => boolean,
  what: string,
  timeoutMs = 150_000,
): Promise<SnapshotRun> {
  const deadline = Date.now() + timeoutMs;
  let last: SnapshotRun | undefined;
  while (Date.now() < deadline) {
    last = (await snapshot()).runs.find((run) => run.dir === runDir);
    if (last && accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

function events(runDir: string): { event: string; [key: string]: unknown }[] {
  return readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { event: string });
}

describe('training: Train adapter with the real trainer on the tiny model', function () {
  this.timeout(240_000);
  let workspace: string;
  let exportDir: string;
  let model: string;

  before(async () => {
    await activateMedqa();
    model = tinyModelDir();
    workspace = workspaceRoot();
    exportDir = writeTrainingExport(path.join(workspace, '.medqa', 'exports', 'integration'));
  });

  it('trains to the end; the run shows at once, then as finished with its checkpoints', async () => {
    const started = Date.now();
    const runDir = await vscode.commands.executeCommand<string>('medqa.training.train', {
      exportDir,
      model,
      preset: 'recommended',
      overrides: QUICK,
    });
    assert.ok(runDir, 'the command returned no run folder (see the MedQA Studio log)');
    assert.ok(
      runDir.startsWith(path.join(workspace, '.medqa', 'runs') + path.sep),
      `run folder ${runDir} is not under the runs directory`,
    );
    assert.match(path.basename(runDir), /^\d{8}-\d{6}-recommended$/);

    const early = (await snapshot()).runs.find((run) => run.dir === runDir);
    assert.ok(early, 'the new run is not in the Runs view right after launch');

    const run = await waitForRun(runDir, (r) => r.status !== 'running', 'the run to end');
    console.log(
      `[training] tiny-model run of 4 steps ended in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    assert.equal(run.status, 'finished', `run ended ${run.status}: ${JSON.stringify(run.facts)}`);
    assert.equal(run.contextValue, 'medqa.run.finished');
    assert.equal(run.icon, 'pass-filled');
    assert.match(run.description, /^finished · step 4\/4 · loss \d/);
    assert.ok(run.facts.some((f) => f.label === 'Model' && f.description.length > 0));

    const yaml = readFileSync(path.join(runDir, 'run.yaml'), 'utf8');
    assert.match(yaml, /^preset: "recommended"$/m);
    assert.match(yaml, /^max_steps: 4$/m);
    assert.ok(existsSync(path.join(runDir, 'config.yaml')), 'the trainer wrote no resolved config.yaml');
    const kinds = events(runDir).map((e) => e.event);
    assert.equal(kinds.filter((k) => k === 'step').length, 4);
    assert.equal(kinds[kinds.length - 1], 'run_finished');

    const labels = run.checkpoints.map((c) => c.label);
    assert.deepEqual(labels, ['adapter (final)', 'checkpoint-4', 'checkpoint-2']);
    assert.ok(run.checkpoints.every((c) => c.contextValue === 'medqa.checkpoint'));
    assert.equal(run.checkpoints.filter((c) => c.description.includes('best')).length, 1);
    assert.equal(existsSync(path.join(runDir, 'trainer.pid')), false);

    await vscode.commands.executeCommand('medqa.runs.openDashboard', runDir);
    const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs.map((tab) => tab.label));
    assert.ok(tabs.includes(`Run: ${path.basename(runDir)}`), `no dashboard tab among ${tabs.join(', ')}`);
    await vscode.commands.executeCommand('medqa.runs.openConfig', runDir);
    assert.equal(path.basename(vscode.window.activeTextEditor?.document.uri.fsPath ?? ''), 'config.yaml');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('logs to TensorBoard when medqa.training.reportTo says so (run.yaml report_to, the Trainer’s own callback)', async () => {
    const settings = vscode.workspace.getConfiguration('medqa');
    const original = settings.inspect<string>('training.reportTo')?.globalValue;
    await settings.update('training.reportTo', 'tensorboard', vscode.ConfigurationTarget.Global);
    let runDir: string | undefined;
    try {
      runDir = await vscode.commands.executeCommand<string>('medqa.training.train', {
        exportDir,
        model,
        overrides: { ...QUICK, max_steps: 2 },
      });
    } finally {
      await settings.update('training.reportTo', original, vscode.ConfigurationTarget.Global);
    }
    assert.ok(runDir, 'the command returned no run folder (see the MedQA Studio log)');
    const run = await waitForRun(runDir, (r) => r.status !== 'running', 'the run to end');
    assert.equal(run.status, 'finished', `run ended ${run.status}: ${JSON.stringify(run.facts)}`);
    assert.match(readFileSync(path.join(runDir, 'run.yaml'), 'utf8'), /^report_to: \[ ?"tensorboard" ?\]$/m);
    const logs = readdirSync(path.join(runDir, 'tensorboard'));
    assert.ok(
      logs.some((name) => name.startsWith('events.out.tfevents.')),
      `no event file in ${runDir}/tensorboard: ${logs.join(', ')}`,
    );
    assert.ok(events(runDir).some((e) => e.event === 'notice' && e.code === 'tensorboard-logging'));
  });

  it('cancel stops a run: the trainer saves a checkpoint and the run reads cancelled', async () => {
    const runDir = await vscode.commands.executeCommand<string>('medqa.training.train', {
      exportDir,
      model,
      preset: 'recommended',
      outputDir: path.join('.medqa', 'runs', 'to-cancel'),
      overrides: { ...QUICK, max_steps: 100_000, eval_steps: 50_000, save_steps: 50_000 },
    });
    assert.equal(runDir, path.join(workspace, '.medqa', 'runs', 'to-cancel'));
    const running = await waitForRun(
      runDir,
      (r) => r.status === 'running' && /step [2-9]/.test(r.description),
      'two logged steps',
    );
    assert.equal(running.contextValue, 'medqa.run.running');
    const started = Date.now();
    assert.equal(await vscode.commands.executeCommand<boolean>('medqa.training.cancel', runDir), true);
    const seconds = (Date.now() - started) / 1000;
    console.log(`[training] cancel took ${seconds.toFixed(1)} s`);
    // No time limit: on a busy CPU the step and the save take as long as they take; the extension waits while the
    // trainer makes progress. What matters is that it was not killed: it said it was saving and left a checkpoint.
    const run = await waitForRun(runDir, (r) => r.status !== 'running', 'the run to stop', 30_000);
    assert.equal(run.status, 'cancelled');
    assert.equal(run.contextValue, 'medqa.run.cancelled');
    const last = events(runDir).pop() as { event: string; checkpoint: string | null };
    assert.equal(last.event, 'run_cancelled');
    assert.ok(
      events(runDir).some(
        (e) => e.event === 'notice' && (e as { code?: string }).code === 'saving-checkpoint',
      ),
      'the trainer said it was saving a checkpoint',
    );
    assert.ok(last.checkpoint && existsSync(last.checkpoint), 'the trainer saved no checkpoint on SIGTERM');
    assert.ok(
      run.checkpoints.some((c) => c.path === last.checkpoint && c.contextValue === 'medqa.checkpoint'),
    );
    assert.equal(
      await vscode.commands.executeCommand<boolean>('medqa.training.cancel', runDir),
      false,
      'nothing left to cancel',
    );
  });

  it('rejects bad options with a message and starts nothing', async () => {
    const before = readdirSync(path.join(workspace, '.medqa', 'runs')).length;
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ exportDir, model, overrides: { learning_rate: 'fast' } }, /^MedQA: Invalid training settings: /],
      [
        { exportDir, model, overrides: { output_dir: '/tmp/x' } },
        /"output_dir" is not a setting you can override/,
      ],
      [{ exportDir: workspace, model }, /is not a dataset export: it has no manifest\.json/],
      [{ exportDir, model: path.join(workspace, 'no-such-model') }, /no-such-model does not exist/],
      [{ exportDir, model, outputDir: path.join('.medqa', 'runs', 'to-cancel') }, /already holds a run/],
    ];
    const { commandErrors } = (await activateMedqa()).exports as MedqaApi;
    for (const [options, message] of bad) {
      const shown = commandErrors.length;
      assert.equal(
        await vscode.commands.executeCommand('medqa.training.train', options),
        undefined,
        JSON.stringify(options),
      );
      assert.equal(commandErrors.length, shown + 1, `one error shown for ${JSON.stringify(options)}`);
      const last = commandErrors[commandErrors.length - 1];
      assert.equal(last.command, 'medqa.training.train');
      assert.match(last.message, message);
    }
    assert.equal(readdirSync(path.join(workspace, '.medqa', 'runs')).length, before);
  });

  it('without a working Python it refuses and starts nothing', async () => {
    const settings = vscode.workspace.getConfiguration('medqa');
    const original = settings.inspect<string>('pythonPath')?.globalValue;
    await settings.update(
      'pythonPath',
      path.join(workspace, 'no-python-here'),
      vscode.ConfigurationTarget.Global,
    );
    try {
      const result = await vscode.commands.executeCommand('medqa.training.train', {
        exportDir,
        model,
        overrides: QUICK,
      });
      assert.equal(result, undefined);
    } finally {
      await settings.update('pythonPath', original, vscode.ConfigurationTarget.Global);
    }
  });
});
