import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readAllEvents } from '../../../src/runs/eventLog';
import { isTrainerAlive } from '../../../src/runs/liveness';
import { RunRegistry } from '../../../src/runs/registry';
import { startTraining, type LaunchOptions } from '../../../src/training/launcher';
import { toFlatYaml } from '../../../src/training/trainConfig';
import { ProcessStartError } from '../../../src/util/process';
import { fixturesDir, repoRoot } from '../../support/paths';

const python = path.join(repoRoot, '.venv', 'bin', 'python');

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('training launcher (with the fake trainer in test/fixtures/fake_trainer)', function () {
  this.timeout(30_000);
  let root: string;
  let runDir: string;
  const output: string[] = [];

  before(() => assert.ok(existsSync(python), `these tests need the project venv at ${python}`));
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medqa-launch-'));
    runDir = path.join(root, 'run-1');
    output.length = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function launch(
    env: Record<string, string>,
    extra: Partial<LaunchOptions> = {},
    config: Record<string, number> = {},
  ) {
    const configFile = path.join(root, 'run.yaml');
    writeFileSync(
      configFile,
      toFlatYaml({ preset: 'recommended', output_dir: runDir, save_steps: 2, ...config }),
    );
    return startTraining({
      python,
      runDir,
      configFile,
      env: {
        ...process.env,
        PYTHONPATH: path.join(fixturesDir, 'fake_trainer'),
        FAKE_STEP_SECONDS: '0.02',
        ...env,
      },
      onOutput: (line, stream) => output.push(`${stream}: ${line}`),
      ...extra,
    });
  }

  const stepsLogged = async () =>
    (await readAllEvents(path.join(runDir, 'events.jsonl'))).filter((e) => e.event === 'step').length;
  const status = async () => (await new RunRegistry(root).refreshAll())[0]?.status;

  it('runs the trainer to the end, forwarding its output line by line', async () => {
    const training = await launch({}, {}, { max_steps: 4 });
    assert.ok(training.pid);
    const exit = await training.exited;
    assert.deepEqual(exit, { code: 0, signal: null, cancelled: false });
    const events = await readAllEvents(path.join(runDir, 'events.jsonl'));
    assert.deepEqual(
      events.map((e) => e.event),
      [
        'run_started',
        'step',
        'step',
        'eval',
        'checkpoint',
        'step',
        'step',
        'eval',
        'checkpoint',
        'run_finished',
      ],
    );
    assert.ok(output.includes('stdout: fake trainer: 4 steps'));
    assert.ok(
      output.includes('stdout: step 4/4 loss 1.204'),
      'a line redrawn with \\r shows its final text once',
    );
    assert.equal(existsSync(path.join(runDir, 'trainer.pid')), false);
    assert.equal(await status(), 'finished');
  });

  it('cancel sends SIGTERM to the process group: the trainer saves, reports run_cancelled, its children die too', async () => {
    const training = await launch({ FAKE_STEPS: '500', FAKE_STEP_SECONDS: '0.05', FAKE_GRANDCHILD: '1' });
    await waitFor(async () => ((await stepsLogged()) >= 2 ? true : undefined), 'two steps');
    const grandchild = Number(readFileSync(path.join(runDir, 'grandchild.pid'), 'utf8'));
    assert.ok(alive(grandchild));
    assert.equal(await isTrainerAlive(training.pid as number), true);
    const started = Date.now();
    const exit = await training.cancel();
    assert.ok(Date.now() - started < 5000, 'a cooperative trainer stops well within the grace period');
    assert.deepEqual(exit, { code: 0, signal: null, cancelled: true });
    await waitFor(async () => (alive(grandchild) ? undefined : true), 'the grandchild to die', 3000);
    const last = (await readAllEvents(path.join(runDir, 'events.jsonl'))).pop();
    assert.equal(last?.event, 'run_cancelled');
    assert.ok(existsSync((last as { checkpoint: string }).checkpoint));
    assert.equal(await status(), 'cancelled');
  });

  it('a trainer that ignores SIGTERM is killed with SIGKILL after the grace period and the run reads cancelled', async () => {
    const training = await launch(
      { FAKE_ON_SIGTERM: 'ignore', FAKE_STEPS: '50', FAKE_TORN_AT: '3' },
      { graceMs: 700 },
    );
    await waitFor(async () => ((await stepsLogged()) >= 2 ? true : undefined), 'two steps');
    await new Promise((r) => setTimeout(r, 200)); // let it write its torn line and hang
    const started = Date.now();
    const exit = await training.cancel();
    const waited = Date.now() - started;
    assert.ok(waited >= 650 && waited < 5000, `SIGKILL came after ${waited} ms, expected about 700`);
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(exit.recordedOutcome, 'run_cancelled');
    const events = await readAllEvents(path.join(runDir, 'events.jsonl'));
    assert.deepEqual(events[events.length - 1], {
      ...events[events.length - 1],
      event: 'run_cancelled',
      step: 2,
      checkpoint: null,
    });
    assert.equal(existsSync(path.join(runDir, 'trainer.pid')), false, 'the stale PID file is removed');
    assert.equal(await status(), 'cancelled');
  });

  it('a trainer killed from outside (no cancel) gets a run_failed that says how it died', async () => {
    const training = await launch({ FAKE_STEPS: '500' });
    await waitFor(async () => ((await stepsLogged()) >= 1 ? true : undefined), 'one step');
    process.kill(-(training.pid as number), 'SIGKILL');
    const exit = await training.exited;
    assert.equal(exit.recordedOutcome, 'run_failed');
    const last = (await readAllEvents(path.join(runDir, 'events.jsonl'))).pop() as {
      event: string;
      error: string;
    };
    assert.equal(last.event, 'run_failed');
    assert.match(last.error, /killed by SIGKILL/);
  });

  it('a trainer that crashes before any event gets a run_failed naming its last error line', async () => {
    const exit = await (await launch({ FAKE_CRASH: '1' })).exited;
    assert.equal(exit.code, 3);
    assert.equal(exit.recordedOutcome, 'run_failed');
    const [failed] = await readAllEvents(path.join(runDir, 'events.jsonl'));
    assert.equal(
      (failed as { error: string }).error,
      'The trainer exited with code 3: RuntimeError: fake crash before the first event',
    );
    assert.equal(await status(), 'failed');
  });

  it('a trainer that reports its own failure is left as it wrote it', async () => {
    const exit = await (await launch({ FAKE_FAIL_AT: '2' })).exited;
    assert.equal(exit.code, 1);
    assert.equal(exit.recordedOutcome, undefined);
    const [info] = await new RunRegistry(root).refreshAll();
    assert.equal(info.status, 'failed');
    assert.equal(info.progress.error, 'fake failure at step 2');
    assert.ok(info.progress.tracebackPath && existsSync(info.progress.tracebackPath));
    assert.ok(output.some((line) => line.startsWith('stderr: Traceback')));
  });

  it('a missing interpreter is a clear start error, not a crash', async () => {
    await assert.rejects(launch({}, { python: path.join(root, 'no-python') }), (error: unknown) => {
      assert.ok(error instanceof ProcessStartError);
      assert.match(error.message, /was not found/);
      return true;
    });
  });
});
