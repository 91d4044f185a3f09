import * as assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MedqaApi } from '../../../src/extension';
import type { RunInfo } from '../../../src/runs/registry';
import type { DeleteResult } from '../../../src/runs/view/deleteRun';
import type { RunsViewSnapshot } from '../../../src/runs/view/runsSnapshot';
import { fixturesDir } from '../../support/paths';
import { writeTrainingExport } from '../../support/trainingExport';
import { activateMedqa, tinyModelDir, workspaceRoot } from '../support';
import { endTrainer } from '../../support/processes';

type SnapshotRun = RunsViewSnapshot['runs'][number];

const line = (event: Record<string, unknown>) =>
  JSON.stringify({ v: 1, time: new Date().toISOString(), ...event }) + '\n';

/** A finished run of ours as the trainer leaves it: events.jsonl and a resolved config.yaml. */
function writeFinishedRun(dir: string, learningRate: number): string {
  mkdirSync(dir, { recursive: true });
  const environment = { python: '3.11', torch: '2', device: 'cpu', qlora: false };
  writeFileSync(
    path.join(dir, 'events.jsonl'),
    line({
      event: 'run_started',
      run_id: path.basename(dir),
      output_dir: dir,
      config: { preset: 'cpu-small', learning_rate: learningRate },
      environment,
      total_steps: 2,
    }) +
      line({
        event: 'step',
        step: 2,
        epoch: 1,
        loss: 1.5,
        learning_rate: learningRate,
        grad_norm: 1,
        tokens_per_second: 100,
      }) +
      line({
        event: 'run_finished',
        step: 2,
        best_checkpoint: null,
        adapter_path: path.join(dir, 'adapter'),
      }),
  );
  writeFileSync(
    path.join(dir, 'config.yaml'),
    `model_name_or_path: tiny\npreset: cpu-small\nlearning_rate: ${learningRate}\noutput_dir: ${dir}\n` +
      'run_info:\n  environment:\n    device: cpu\n',
  );
  return dir;
}

/** Every file under `dir` with its size and modification time: proves that nothing was written there. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      const stat = statSync(file);
      return `${path.relative(dir, file)} ${stat.size} ${stat.mtimeMs}`;
    })
    .sort();
}

async function snapshotRun(dir: string, rescan = false): Promise<SnapshotRun | undefined> {
  const snapshot = await vscode.commands.executeCommand<RunsViewSnapshot>('medqa.runs.refresh', { rescan });
  return snapshot.runs.find((run) => run.dir === dir);
}

async function waitForRun(
  dir: string,
  accept: (run: SnapshotRun) => boolean,
  what: string,
  timeoutMs = 120_000,
  rescan = true,
): Promise<SnapshotRun> {
  const deadline = Date.now() + timeoutMs;
  let last: SnapshotRun | undefined;
  while (Date.now() < deadline) {
    last = await snapshotRun(dir, rescan);
    if (last && accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

function events(runDir: string): { event: string; [key: string]: unknown }[] {
  return readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((text) => JSON.parse(text) as { event: string });
}

describe('runs: import a Hugging Face run, rename, tag, delete and compare configs', function () {
  this.timeout(60_000);
  let api: MedqaApi;
  let runsDir: string;
  let outside: string;
  let hfDir: string;

  before(async () => {
    api = (await activateMedqa()).exports as MedqaApi;
    runsDir = path.join(workspaceRoot(), '.medqa', 'runs');
    mkdirSync(runsDir, { recursive: true });
    outside = mkdtempSync(path.join(os.tmpdir(), 'medqa-hf-import-'));
    // The committed fixture (a real Trainer run without weights) plus stand-in weights for checkpoint-8 only.
    hfDir = path.join(outside, 'qwen3-sft-output');
    cpSync(path.join(fixturesDir, 'hf-run'), hfDir, { recursive: true });
    writeFileSync(path.join(hfDir, 'checkpoint-8', 'adapter_model.safetensors'), 'stand-in');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(outside, { recursive: true, force: true });
  });

  const lastError = () => api.commandErrors[api.commandErrors.length - 1]?.message ?? '';

  it('imports a Trainer output folder as a read-only run with its curves and checkpoints, writing nothing there', async () => {
    const before = listing(hfDir);
    const run = await vscode.commands.executeCommand<RunInfo>('medqa.runs.importHuggingFace', hfDir);
    assert.ok(run, 'the import returns the run');
    assert.equal(run.source, 'huggingface');
    assert.equal(run.status, 'finished');
    assert.deepEqual(
      run.progress.steps.map((s) => [s.step, s.epoch]),
      [1, 2, 3, 4, 5, 6, 7, 8].map((step) => [step, step / 4]),
    );
    assert.deepEqual(
      run.progress.evals.map((e) => e.step),
      [2, 4, 6, 8],
    );
    const shown = await snapshotRun(hfDir);
    assert.ok(shown, 'the imported run is in the Runs view');
    assert.match(shown.description, /^imported · read-only · finished · step 8\/8 · loss \d/);
    assert.equal(shown.contextValue, 'medqa.run.imported.finished');
    assert.ok(shown.facts.some((f) => f.label === 'Source' && /Hugging Face Trainer/.test(f.description)));
    assert.ok(shown.facts.some((f) => f.label === 'Eval loss'));
    assert.deepEqual(
      shown.checkpoints.map((c) => [c.label, c.contextValue]),
      [
        ['adapter (final)', 'medqa.checkpoint.incomplete'],
        ['checkpoint-8', 'medqa.checkpoint'],
        ['checkpoint-4', 'medqa.checkpoint.incomplete'],
      ],
    );
    assert.match(shown.checkpoints[1].description, /^step 8 · eval \d+(\.\d+)? · best$/);
    assert.match(shown.checkpoints[2].description, /no adapter weights/);
    assert.deepEqual(listing(hfDir), before, 'nothing was written into the imported folder');

    await vscode.commands.executeCommand('medqa.runs.openDashboard', hfDir);
    const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs.map((tab) => tab.label));
    assert.ok(tabs.includes('Run: qwen3-sft-output'), `no dashboard tab among ${tabs.join(', ')}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    // The file watcher follows the imported folder (outside the workspace) when the Trainer rewrites its state.
    const stateFile = path.join(hfDir, 'trainer_state.json');
    const state = readFileSync(stateFile, 'utf8');
    writeFileSync(stateFile, state.slice(0, 300));
    const torn = await waitForRun(
      hfDir,
      (r) => r.status === 'unreadable',
      'the torn state to show',
      30_000,
      false,
    );
    assert.ok(torn.facts.some((f) => f.label === 'Unreadable' && /not valid JSON/.test(f.description)));
    writeFileSync(stateFile, state);
    await waitForRun(hfDir, (r) => r.status === 'finished', 'the repaired state to show', 30_000, false);

    // A folder that is not a Trainer output is refused with what is missing.
    const empty = path.join(outside, 'empty');
    mkdirSync(empty);
    assert.equal(await vscode.commands.executeCommand('medqa.runs.importHuggingFace', empty), undefined);
    assert.match(lastError(), /not a Hugging Face Trainer output folder: trainer_state\.json is missing/);
  });

  it('imports a Trainer folder whose curves are only TensorBoard logs (report_to="tensorboard", no trainer_state.json)', async () => {
    // A real Trainer run that logged through its TensorBoard callback, every trainer_state.json deleted.
    const tbDir = path.join(outside, 'tensorboard-only');
    cpSync(path.join(fixturesDir, 'hf-tensorboard-run'), tbDir, { recursive: true });
    const before = listing(tbDir);
    const run = await vscode.commands.executeCommand<RunInfo>('medqa.runs.importHuggingFace', tbDir);
    assert.ok(run, 'the import returns the run');
    assert.equal(run.source, 'huggingface');
    assert.equal(run.status, 'finished');
    assert.deepEqual(
      run.progress.steps.map((s) => s.step),
      [1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(
      run.progress.evals.map((e) => e.step),
      [3, 6],
    );
    assert.ok(
      run.progress.steps.every((s) => s.time > 0),
      'points keep the logs’ wall-clock times',
    );
    const shown = await snapshotRun(tbDir);
    assert.match(shown?.description ?? '', /^imported · read-only · finished · step 6\/6 · loss \d/);
    assert.deepEqual(listing(tbDir), before, 'nothing was written into the imported folder');
  });

  it('renames and tags: beside our run in .medqa-run.json, in the workspace state for the imported one', async () => {
    const before = listing(hfDir);
    await vscode.commands.executeCommand('medqa.runs.rename', hfDir, 'Qwen3 SFT (cluster)');
    await vscode.commands.executeCommand('medqa.runs.tag', hfDir, 'hf, sft');
    const imported = await snapshotRun(hfDir, true);
    assert.equal(imported?.label, 'Qwen3 SFT (cluster)');
    assert.match(imported?.description ?? '', / · #hf #sft$/);
    assert.deepEqual(listing(hfDir), before, 'the name and tags of an imported run stay out of its folder');

    const ours = writeFinishedRun(path.join(runsDir, 'actions-rename'), 0.001);
    await vscode.commands.executeCommand('medqa.runs.refresh');
    await vscode.commands.executeCommand('medqa.runs.rename', ours, 'Baseline');
    await vscode.commands.executeCommand('medqa.runs.tag', ours, ['lr-1e-3']);
    const stored = JSON.parse(readFileSync(path.join(ours, '.medqa-run.json'), 'utf8')) as unknown;
    assert.deepEqual(stored, {
      format: 'medqa-run-meta',
      version: 1,
      displayName: 'Baseline',
      tags: ['lr-1e-3'],
    });
    const shown = await snapshotRun(ours, true);
    assert.equal(shown?.label, 'Baseline');
    assert.equal(shown?.description, 'finished · step 2/2 · loss 1.50 · #lr-1e-3');
    assert.ok(shown?.facts.some((f) => f.label === 'Folder name' && f.description === 'actions-rename'));

    await vscode.commands.executeCommand('medqa.runs.tag', ours, 'not ok!');
    assert.match(lastError(), /"ok!" is not a tag/);
  });

  it('compares the config of two runs in the native diff editor', async () => {
    const a = writeFinishedRun(path.join(runsDir, 'actions-config-a'), 0.001);
    const b = writeFinishedRun(path.join(runsDir, 'actions-config-b'), 0.0002);
    await vscode.commands.executeCommand('medqa.runs.refresh');
    const title = await vscode.commands.executeCommand<string>('medqa.runs.compareConfig', a, b);
    assert.equal(title, 'actions-config-a ↔ actions-config-b (run config)');
    const deadline = Date.now() + 10_000;
    let input: unknown;
    while (Date.now() < deadline) {
      input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      if (input instanceof vscode.TabInputTextDiff) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(input instanceof vscode.TabInputTextDiff, 'the active tab is a diff');
    assert.equal(input.original.fsPath, path.join(a, 'config.yaml'));
    assert.equal(input.modified.fsPath, path.join(b, 'config.yaml'));
    assert.equal(vscode.window.tabGroups.activeTabGroup.activeTab?.label, title);

    assert.equal(await vscode.commands.executeCommand('medqa.runs.compareConfig', hfDir, a), undefined);
    assert.match(lastError(), /imported Hugging Face run: its settings are in training_args\.bin/);
  });

  it('never trains, resumes or deletes an imported run; Remove from List leaves its folder alone', async () => {
    const before = listing(hfDir);
    assert.equal(
      await vscode.commands.executeCommand('medqa.runs.delete', hfDir, { confirmed: true }),
      undefined,
    );
    assert.match(lastError(), /never deletes its folder\. Use "Remove from List"/);
    assert.equal(
      await vscode.commands.executeCommand('medqa.training.resume', hfDir, { confirmed: true }),
      undefined,
    );
    assert.match(lastError(), /imported Hugging Face run: MedQA Studio does not train it/);
    const finished = path.join(runsDir, 'actions-config-a');
    assert.equal(
      await vscode.commands.executeCommand('medqa.training.resume', finished, { confirmed: true }),
      undefined,
    );
    assert.match(lastError(), /is finished: only a cancelled or interrupted run can be resumed/);

    assert.equal(await vscode.commands.executeCommand('medqa.runs.removeFromList', hfDir), true);
    assert.equal(await snapshotRun(hfDir, true), undefined, 'gone from the list, even after a rescan');
    assert.deepEqual(listing(hfDir), before, 'the folder is untouched');
  });

  it('deletes a run of ours: to the trash when the host has one, else permanently after a second confirmation', async () => {
    const dir = writeFinishedRun(path.join(runsDir, 'actions-delete'), 0.001);
    assert.ok(await snapshotRun(dir, true));
    const first = await vscode.commands.executeCommand<DeleteResult>('medqa.runs.delete', dir, {
      confirmed: true,
      deletePermanently: false,
    });
    console.log(`[runs] delete with the trash: ${JSON.stringify(first)}`);
    if (first.outcome === 'trash') {
      assert.equal(existsSync(dir), false);
    } else {
      // No trash on this host (code-server's remote file system): the folder stays until the user agrees to
      // delete it for good.
      assert.equal(first.outcome, 'kept');
      assert.match(first.trashError ?? '', /trash/i, 'says why the trash failed');
      assert.equal(existsSync(dir), true);
      const second = await vscode.commands.executeCommand<DeleteResult>('medqa.runs.delete', dir, {
        confirmed: true,
        deletePermanently: true,
      });
      assert.equal(second.outcome, 'permanent');
      assert.equal(existsSync(dir), false);
    }
    assert.equal(await snapshotRun(dir), undefined, 'the run left the Runs view');
  });
});

describe('runs: Resume Training continues a cancelled run from its newest checkpoint', function () {
  // Two trainer starts on a CPU: model loading and the first steps take minutes on a busy 2-core machine.
  this.timeout(600_000);
  // Its run asks for 100,000 steps: if the test fails before its cancel, the trainer must not go on training.
  after(() => endTrainer(path.join(workspaceRoot(), '.medqa', 'runs', 'to-resume')));

  it('cancels a real tiny-model run, resumes it from the checkpoint it saved, and refuses to delete it meanwhile', async () => {
    await activateMedqa();
    const workspace = workspaceRoot();
    const exportDir = writeTrainingExport(path.join(workspace, '.medqa', 'exports', 'resume'));
    const runDir = await vscode.commands.executeCommand<string>('medqa.training.train', {
      exportDir,
      model: tinyModelDir(),
      preset: 'recommended',
      outputDir: path.join('.medqa', 'runs', 'to-resume'),
      overrides: {
        max_steps: 100_000,
        eval_steps: 50_000,
        save_steps: 50_000,
        logging_steps: 1,
        max_length: 256,
      },
    });
    assert.equal(runDir, path.join(workspace, '.medqa', 'runs', 'to-resume'));
    await waitForRun(runDir, (r) => r.status === 'running' && /step [2-9]/.test(r.description), 'two steps');
    assert.equal(await vscode.commands.executeCommand<boolean>('medqa.training.cancel', runDir), true);
    const cancelled = await waitForRun(runDir, (r) => r.status === 'cancelled', 'the cancelled status');
    assert.equal(cancelled.contextValue, 'medqa.run.cancelled');
    const saved = events(runDir).pop()?.checkpoint;
    assert.ok(typeof saved === 'string' && existsSync(saved), 'the trainer saved a checkpoint on SIGTERM');
    const savedStep = Number(/checkpoint-(\d+)$/.exec(saved)?.[1]);

    const resumed = await vscode.commands.executeCommand<string>('medqa.training.resume', runDir, {
      confirmed: true,
    });
    assert.equal(resumed, runDir);
    const running = await waitForRun(
      runDir,
      (r) => r.status === 'running' && Number(/^step (\d+)/.exec(r.description)?.[1]) > savedStep,
      'steps after the checkpoint',
      300_000,
    ).catch((error: unknown) => {
      const log = path.join(runDir, 'trainer.log');
      if (existsSync(log)) console.log(`[runs] trainer.log:\n${readFileSync(log, 'utf8').slice(-4000)}`);
      throw error;
    });
    assert.equal(running.contextValue, 'medqa.run.running');
    const starts = events(runDir).filter((e) => e.event === 'run_started');
    assert.equal(starts.length, 2);
    assert.equal(starts[1].resumed_from, saved);

    const api = (await activateMedqa()).exports as MedqaApi;
    assert.equal(
      await vscode.commands.executeCommand('medqa.runs.delete', runDir, { confirmed: true }),
      undefined,
    );
    assert.match(
      api.commandErrors[api.commandErrors.length - 1]?.message ?? '',
      /is training\. Cancel it before deleting it/,
    );
    assert.equal(await vscode.commands.executeCommand<boolean>('medqa.training.cancel', runDir), true);
    await waitForRun(runDir, (r) => r.status === 'cancelled', 'the second cancel');
  });
});
