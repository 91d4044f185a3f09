import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunsViewSnapshot } from '../../../src/runs/view/runsSnapshot';

type SnapshotRun = RunsViewSnapshot['runs'][number];

const line = (event: Record<string, unknown>) =>
  JSON.stringify({ v: 1, time: new Date().toISOString(), ...event }) + '\n';
const step = (n: number) =>
  line({
    event: 'step',
    step: n,
    total_steps: 10,
    epoch: n / 10,
    loss: 3 - n / 10,
    learning_rate: 1e-4,
    grad_norm: 1,
    tokens_per_second: 900,
  });

/** What the views show now, without a rescan: only the file watcher (and the liveness check) can have updated them. */
async function watchedRun(
  runDir: string,
  accept: (run: SnapshotRun) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<SnapshotRun> {
  const deadline = Date.now() + timeoutMs;
  let last: SnapshotRun | undefined;
  while (Date.now() < deadline) {
    const snapshot = await vscode.commands.executeCommand<RunsViewSnapshot>('medqa.runs.refresh', {
      rescan: false,
    });
    last = snapshot.runs.find((run) => run.dir === runDir);
    if (last && accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

/**
 * A stand-in for a trainer started from a terminal: a process whose command line reads like
 * `python -m medqa_trainer train` (liveness checks for that, not for the name anywhere in the arguments).
 */
function fakeTrainerProcess(): ChildProcess {
  return spawn(
    process.execPath,
    ['-e', 'setTimeout(() => {}, 120000)', '--', '-m', 'medqa_trainer', 'train'],
    {
      stdio: 'ignore',
    },
  );
}

describe('runs: a run started outside VS Code is watched, cancelled and noticed when it dies', function () {
  this.timeout(90_000);
  let runsDir: string;
  const children: ChildProcess[] = [];

  before(async () => {
    await vscode.extensions.getExtension('medqa-studio.medqa-studio')?.activate();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder, 'a workspace folder must be open');
    runsDir = path.join(folder, '.medqa', 'runs');
  });

  after(() => children.forEach((child) => child.kill('SIGKILL')));

  function startExternalRun(name: string): { dir: string; child: ChildProcess } {
    const dir = path.join(runsDir, name);
    mkdirSync(dir, { recursive: true });
    const child = fakeTrainerProcess();
    children.push(child);
    writeFileSync(path.join(dir, 'trainer.pid'), `${child.pid}\n`);
    const environment = { python: '3.11', torch: '2', device: 'cpu', qlora: false };
    writeFileSync(
      path.join(dir, 'events.jsonl'),
      line({
        event: 'run_started',
        run_id: name,
        output_dir: dir,
        config: { preset: 'recommended' },
        environment,
        total_steps: 10,
      }) + step(1),
    );
    return { dir, child };
  }

  it('shows a new run and its progress from file events alone, then cancels it through its trainer.pid', async () => {
    const { dir, child } = startExternalRun('external-cancel');
    await watchedRun(
      dir,
      (r) => r.status === 'running' && r.description.startsWith('step 1/10'),
      'the new run folder to appear',
    );
    appendFileSync(path.join(dir, 'events.jsonl'), step(2) + step(3));
    const running = await watchedRun(
      dir,
      (r) => r.description.startsWith('step 3/10 · loss 2.70'),
      'step 3 to show',
    );
    assert.equal(running.contextValue, 'medqa.run.running');

    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    assert.equal(await vscode.commands.executeCommand<boolean>('medqa.training.cancel', dir), true);
    assert.equal(await exited, 'SIGTERM');
    const cancelled = await watchedRun(dir, (r) => r.status !== 'running', 'the cancelled status');
    assert.equal(cancelled.status, 'cancelled');
    assert.match(cancelled.description, /^cancelled · step 3\/10/);
    const last = JSON.parse(
      readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trim().split('\n').pop() as string,
    ) as { event: string; step: number };
    assert.deepEqual([last.event, last.step], ['run_cancelled', 3]);
  });

  it('a trainer killed from outside, with no terminal event, becomes interrupted', async () => {
    const { dir, child } = startExternalRun('external-killed');
    await watchedRun(dir, (r) => r.status === 'running', 'the run to show as running');
    child.kill('SIGKILL');
    const run = await watchedRun(dir, (r) => r.status !== 'running', 'the liveness check to notice');
    assert.equal(run.status, 'interrupted');
    assert.equal(run.contextValue, 'medqa.run.interrupted');
    assert.equal(run.icon, 'debug-disconnect');
  });
});
