import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { signalProcessTree } from '../../../src/util/process';
import { forwardLines } from '../../../src/trainer/follow';
import { runTrainerCommand, TrainerCommand, trainerArgs } from '../../../src/trainer/process';
import { neutralDirectory } from '../../../src/trainer/workingDirectory';
import { isAlive as alive } from '../../support/processes';


async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the trainer process layer', () => {
  it('builds argument arrays for every subcommand', () => {
    assert.deepEqual(trainerArgs('models', ['install', 'x y']), [
      '-m',
      'medqa_trainer',
      'models',
      'install',
      'x y',
    ]);
  });

  it('splits lines, keeps a progress bar redrawn with \\r at its last state, and flushes the last line', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    forwardLines(stream, (l) => lines.push(l));
    stream.write('first\nbar 10%\rbar 50%\rbar 100%\n\nlast without newline');
    stream.end();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(lines, ['first', 'bar 100%', 'last without newline']);
  });

  it('cancels the whole process group: a worker the command started stops too', async () => {
    let worker = 0;
    const command = await TrainerCommand.start({
      python: 'sh',
      args: ['-c', 'sleep 60 & echo $!; wait'],
      env: process.env,
      graceMs: 2_000,
      onOutput: (line) => (worker = Number(line)),
    });
    await until('the worker pid', () => worker > 0);
    assert.ok(alive(worker));
    const exit = await command.cancel();
    assert.equal(exit.cancelled, true);
    await until('the worker to stop', () => !alive(worker));
  });

  it('keeps the stderr tail and reports an exit code; an aborted signal cancels', async () => {
    const failed = await runTrainerCommand({
      python: 'sh',
      args: ['-c', 'echo one >&2; echo "error: two" >&2; exit 4'],
      env: process.env,
      graceMs: 1_000,
    });
    assert.deepEqual([failed.code, failed.cancelled, failed.stderrTail], [4, false, ['one', 'error: two']]);
    const abort = new AbortController();
    const pending = runTrainerCommand({
      python: 'sleep',
      args: ['60'],
      env: process.env,
      graceMs: 1_000,
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 200);
    const cancelled = await pending;
    assert.equal(cancelled.cancelled, true);
    await assert.rejects(
      TrainerCommand.start({ python: '/no/such/python', args: [], env: process.env, graceMs: 1 }),
      /was not found/,
    );
  });

  it('signals an external trainer and its group by PID (started elsewhere, as its own group leader)', async () => {
    const outside = spawn('sh', ['-c', 'sleep 60 & echo $!; wait'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let worker = 0;
    outside.stdout.on('data', (chunk: Buffer) => (worker = Number(chunk.toString().trim())));
    await until('the worker pid', () => worker > 0);
    signalProcessTree(outside.pid as number, 'SIGTERM');
    await until('its worker to stop', () => !alive(worker));
  });
});

describe('the trainer process layer under load', () => {
  it('cancels a command whose abort came while it was still starting', async () => {
    const abort = new AbortController();
    const pending = runTrainerCommand({
      python: 'sleep',
      args: ['60'],
      env: process.env,
      graceMs: 1_000,
      signal: abort.signal,
    });
    abort.abort();
    assert.equal((await pending).cancelled, true);
  });
});

describe('the trainer process layer imports nothing from the folder it runs in', () => {
  it('starts in an empty folder only this user can write, with PYTHONSAFEPATH', async () => {
    const lines: string[] = [];
    const exit = await runTrainerCommand({
      python: 'python3',
      args: ['-c', 'import os, sys; print(os.getcwd()); print("" in sys.path or os.getcwd() in sys.path)'],
      env: process.env,
      graceMs: 1_000,
      onOutput: (line) => lines.push(line),
    });
    assert.equal(exit.code, 0);
    assert.deepEqual(lines, [neutralDirectory(), 'False']);
    assert.equal(statSync(neutralDirectory()).mode & 0o777, 0o700);
  });

  it('does not import a module planted in a run folder given as working directory', async () => {
    const runFolder = mkdtempSync(path.join(os.tmpdir(), 'medqa-planted-'));
    try {
      writeFileSync(path.join(runFolder, 'planted.py'), 'print("planted code ran")\n');
      const lines: string[] = [];
      const exit = await runTrainerCommand({
        python: 'python3',
        args: ['-c', 'import planted'],
        cwd: runFolder,
        env: process.env,
        graceMs: 1_000,
        onOutput: (line) => lines.push(line),
      });
      assert.notEqual(exit.code, 0);
      assert.ok(!lines.includes('planted code ran'));
      assert.match(exit.stderrTail.join('\n'), /No module named 'planted'/);
    } finally {
      rmSync(runFolder, { recursive: true, force: true });
    }
  });
});

describe('the trainer process layer with a log file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'medqa-trainer-log-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the log file back line by line as the process writes it', async () => {
    const lines: string[] = [];
    const logFile = path.join(dir, 'run', 'trainer.log');
    const exit = await runTrainerCommand({
      python: 'sh',
      args: ['-c', 'echo first; sleep 0.2; echo "error: second" >&2; printf "no newline"; exit 3'],
      env: process.env,
      graceMs: 1_000,
      logFile,
      onOutput: (line) => lines.push(line),
    });
    assert.equal(exit.code, 3);
    assert.deepEqual(lines, ['first', 'error: second', 'no newline']);
    assert.deepEqual(exit.stderrTail, ['first', 'error: second', 'no newline']);
    assert.equal(readFileSync(logFile, 'utf8'), 'first\nerror: second\nno newline');
  });

  /** Starts a trainer from a process that exits at once, as a closed window does. */
  async function orphan(logFile: string): Promise<string> {
    const marker = path.join(dir, `finished-${Math.random()}`);
    const worker = path.join(__dirname, 'detachWorker.js');
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [worker, logFile, marker], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
    });
    return marker;
  }

  it('lets a trainer outlive the window that started it when it writes to a file, not a pipe', async function () {
    this.timeout(30_000);
    const logFile = path.join(dir, 'detached.log');
    const marker = await orphan(logFile);
    await until('the orphaned trainer to finish', () => existsSync(marker), 15_000);
    assert.match(readFileSync(logFile, 'utf8'), /line 0\n[\s\S]*line 7\n/);
    // With pipes, the next print after the window is gone kills the trainer (BrokenPipeError).
    const piped = await orphan('-');
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(existsSync(piped), false, 'a piped trainer does not survive: the reason for the log file');
  });
});

describe('cancel waits while the process makes progress', () => {
  /** A python that ignores SIGTERM once it says "ready", then runs `body`. */
  async function stubborn(body: string, graceMs: number): Promise<TrainerCommand> {
    let ready = false;
    const command = await TrainerCommand.start({
      python: 'python3',
      args: [
        '-c',
        `import signal, time\nsignal.signal(signal.SIGTERM, lambda *a: None)\nprint("ready", flush=True)\n${body}`,
      ],
      env: process.env,
      graceMs,
      onOutput: (line) => (ready ||= line === 'ready'),
    });
    await until('the process to ignore SIGTERM', () => ready);
    return command;
  }

  it('does not kill a busy process after the grace period, and kills an idle one', async function () {
    this.timeout(30_000);
    // Busy for ~1.5 s after SIGTERM, then done by itself: a slow CPU step plus a checkpoint save.
    const busy = await stubborn(
      'end = time.time() + 1.5\nwhile time.time() < end: pass\nprint("saved")',
      300,
    );
    const finished = await busy.cancel();
    assert.deepEqual([finished.code, finished.signal], [0, null], 'it finished instead of being killed');
    // Asleep: no progress in one grace period, so SIGKILL.
    const idle = await stubborn('time.sleep(30)', 300);
    assert.equal((await idle.cancel()).signal, 'SIGKILL');
  });

  it('kills at once on a second cancel', async () => {
    const spinning = await stubborn('while True: pass', 60_000);
    const first = spinning.cancel();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await spinning.cancel()).signal, 'SIGKILL');
    assert.equal((await first).signal, 'SIGKILL');
  });
});
