import * as assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discoverCheckpoints } from '../../../src/runs/checkpoints';
import { isTrainerAlive, isTrainerCommandLine } from '../../../src/runs/liveness';
import { configProblem, RunRegistry } from '../../../src/runs/registry';
import { RUN_META_FILE } from '../../../src/runs/runMeta';
import { fixturesDir } from '../../support/paths';
import { applyEvents, emptyProgress } from '../../../src/runs/runState';

const t = '2025-01-01T00:00:00.000Z';
const ev = (event: Record<string, unknown>) => JSON.stringify({ v: 1, time: t, ...event }) + '\n';
const startedLine = (dir: string) =>
  ev({
    event: 'run_started',
    run_id: path.basename(dir),
    output_dir: dir,
    config: {},
    environment: { python: '3', torch: '2', device: 'cpu', qlora: false },
    total_steps: 6,
  });
const stepLine = (n: number) =>
  ev({
    event: 'step',
    step: n,
    epoch: 1,
    loss: 1 / n,
    learning_rate: 1e-4,
    grad_norm: 1,
    tokens_per_second: 10,
  });

function adapter(folder: string, complete = true): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'adapter_config.json'), '{}');
  writeFileSync(path.join(folder, 'adapter_model.safetensors'), 'x');
  if (complete) writeFileSync(path.join(folder, 'trainer_state.json'), '{}');
}

describe('RunRegistry', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-runs-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function run(name: string, lines: (dir: string) => string, pid?: number): string {
    const dir = path.join(root, name);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'events.jsonl'), lines(dir));
    if (pid !== undefined) writeFileSync(path.join(dir, 'trainer.pid'), `${pid}\n`);
    return dir;
  }

  it('derives every status, including interrupted when the PID is missing or dead', async () => {
    run(
      'a-finished',
      (d) =>
        startedLine(d) +
        ev({ event: 'run_finished', step: 6, best_checkpoint: null, adapter_path: `${d}/adapter` }),
    );
    run(
      'b-failed',
      (d) => startedLine(d) + ev({ event: 'run_failed', error: 'CUDA out of memory', traceback_path: null }),
    );
    run('c-cancelled', (d) => startedLine(d) + ev({ event: 'run_cancelled', step: 2, checkpoint: null }));
    run('d-running', (d) => startedLine(d) + stepLine(1), 4242);
    run('e-dead-pid', (d) => startedLine(d) + stepLine(1), 4343);
    run('f-no-pid', (d) => startedLine(d) + stepLine(1) + '{"v":1,"event":"st');
    const registry = new RunRegistry(root, { isAlive: async (pid) => pid === 4242 });
    const runs = await registry.refreshAll();
    const byName = Object.fromEntries(runs.map((r) => [r.name, r]));
    assert.equal(byName['a-finished'].status, 'finished');
    assert.equal(byName['b-failed'].status, 'failed');
    assert.equal(byName['b-failed'].progress.error, 'CUDA out of memory');
    assert.equal(byName['c-cancelled'].status, 'cancelled');
    assert.equal(byName['d-running'].status, 'running');
    assert.equal(byName['e-dead-pid'].status, 'interrupted');
    assert.equal(byName['f-no-pid'].status, 'interrupted');
    assert.equal(byName['f-no-pid'].skippedLines, 0, 'the torn last line is pending, not skipped');
  });

  it('a trainer that died with a traceback but no run_failed reads as failed', async () => {
    const dir = run('crashed', (d) => startedLine(d));
    writeFileSync(
      path.join(dir, 'traceback.txt'),
      'Traceback (most recent call last):\n  ...\nValueError: bad config\n',
    );
    const [info] = await new RunRegistry(root, { isAlive: async () => false }).refreshAll();
    assert.equal(info.status, 'failed');
    assert.equal(info.progress.error, 'ValueError: bad config');
  });

  it('runs launched here count as running before trainer.pid exists', async () => {
    const dir = path.join(root, 'starting');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'run.yaml'), 'preset: "recommended"\n');
    const active = new Set([dir]);
    const registry = new RunRegistry(root, { isAlive: async () => false, activeRuns: () => active });
    assert.equal((await registry.refreshRun(dir))?.status, 'running');
    active.clear();
    assert.equal((await registry.refreshRun(dir))?.status, 'interrupted');
  });

  it('refreshRun reads incrementally and notifies listeners; deleted runs disappear', async () => {
    const dir = run('live', (d) => startedLine(d) + stepLine(1), 1);
    const registry = new RunRegistry(root, { isAlive: async () => true });
    const seen: number[] = [];
    registry.onDidChange((changed) => seen.push(changed.length));
    await registry.refreshAll();
    appendFileSync(path.join(dir, 'events.jsonl'), stepLine(2) + stepLine(3));
    const [a, b] = await Promise.all([registry.refreshRun(dir), registry.refreshRun(dir)]);
    assert.deepEqual(
      b?.progress.steps.map((s) => s.step),
      [1, 2, 3],
      'concurrent refreshes do not double-read',
    );
    assert.equal(a?.progress, b?.progress);
    assert.ok(seen.length >= 2);
    rmSync(dir, { recursive: true });
    await registry.refreshAll();
    assert.deepEqual(registry.list(), []);
  });

  it('ignores folders without run files and finds runs in tracked folders elsewhere', async () => {
    mkdirSync(path.join(root, 'notes'));
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'medqa-elsewhere-'));
    try {
      writeFileSync(path.join(elsewhere, 'events.jsonl'), startedLine(elsewhere));
      const registry = new RunRegistry(root, { isAlive: async () => false });
      registry.track(elsewhere);
      const runs = await registry.refreshAll();
      assert.deepEqual(
        runs.map((r) => r.dir),
        [elsewhere],
      );
      assert.equal(registry.runFolderOf(path.join(elsewhere, 'checkpoint-2', 'x')), elsewhere);
      assert.equal(
        registry.runFolderOf(path.join(root, 'new-run', 'events.jsonl')),
        path.join(root, 'new-run'),
      );
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('RunRegistry: imported Hugging Face runs, unreadable runs and odd lines', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-runs-mixed-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const finishedLines = (d: string) =>
    startedLine(d) +
    stepLine(1) +
    ev({ event: 'run_finished', step: 6, best_checkpoint: null, adapter_path: `${d}/adapter` });
  function ours(name: string, lines: string, files: Record<string, string> = {}): string {
    const dir = path.join(root, name);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'events.jsonl'), lines);
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
    return dir;
  }
  const hf = (name: string) => {
    const dir = path.join(root, name);
    cpSync(path.join(fixturesDir, 'hf-run'), dir, { recursive: true });
    return dir;
  };

  it('lists every run; a corrupt trainer_state.json or config.yaml makes only that run unreadable, with the reason', async () => {
    ours('a-ours', finishedLines(path.join(root, 'a-ours')), {
      'config.yaml': 'model_name_or_path: m\nrun_info:\n  environment:\n    device: cpu\n',
    });
    hf('b-hf');
    const truncated = hf('c-hf-truncated');
    const state = readFileSync(path.join(truncated, 'trainer_state.json'), 'utf8');
    writeFileSync(path.join(truncated, 'trainer_state.json'), state.slice(0, state.length / 2));
    ours('d-bad-config', finishedLines(path.join(root, 'd-bad-config')), {
      'config.yaml': 'model_name_or_path: m\nlora_target_modules: [q_proj, v_proj\nlearning_rate: 0.1\n',
    });
    ours(
      'e-unknown-event',
      finishedLines(path.join(root, 'e-unknown-event')) + ev({ event: 'gpu_temperature', celsius: 71 }),
    );
    const registry = new RunRegistry(root, { isAlive: async () => false });
    const byName = Object.fromEntries((await registry.refreshAll()).map((r) => [r.name, r]));
    assert.deepEqual(Object.keys(byName).sort(), [
      'a-ours',
      'b-hf',
      'c-hf-truncated',
      'd-bad-config',
      'e-unknown-event',
    ]);
    assert.deepEqual(
      [byName['a-ours'].status, byName['a-ours'].problem, byName['a-ours'].source],
      ['finished', undefined, undefined],
    );

    const imported = byName['b-hf'];
    assert.equal(imported.status, 'finished');
    assert.equal(imported.source, 'huggingface');
    assert.equal(imported.files.trainerState, path.join(root, 'b-hf', 'trainer_state.json'));
    assert.equal(imported.progress.steps.length, 8);
    assert.deepEqual(
      imported.checkpoints.map((c) => c.name),
      ['checkpoint-4', 'checkpoint-8', 'b-hf'],
    );

    const broken = byName['c-hf-truncated'];
    assert.equal(broken.status, 'unreadable');
    assert.match(broken.problem ?? '', /^trainer_state\.json is not valid JSON \(truncated or corrupt\)/);
    assert.equal(broken.progress.steps.length, 0);
    assert.equal(broken.checkpoints.length, 3, 'its checkpoints are still listed');

    assert.equal(byName['d-bad-config'].status, 'unreadable');
    assert.match(byName['d-bad-config'].problem ?? '', /^config\.yaml cannot be read: line \d+: /);
    assert.equal(byName['d-bad-config'].progress.steps.length, 1, 'its events are still read');

    const odd = byName['e-unknown-event'];
    assert.deepEqual([odd.status, odd.skippedLines, odd.problem], ['finished', 1, undefined]);
  });

  it('re-reads an imported run when its trainer_state.json changes, and only then', async () => {
    const dir = hf('live-hf');
    const file = path.join(dir, 'trainer_state.json');
    const full = readFileSync(file, 'utf8');
    writeFileSync(file, full.slice(0, 100));
    const registry = new RunRegistry(undefined, { isAlive: async () => false });
    registry.track(dir);
    await registry.refreshAll();
    assert.equal(registry.get(dir)?.status, 'unreadable');
    writeFileSync(file, full);
    const fixed = await registry.refreshRun(dir);
    assert.equal(fixed?.status, 'finished');
    assert.equal((await registry.refreshRun(dir))?.progress, fixed?.progress, 'unchanged file: same read');
  });

  it('follows a Trainer that is still writing checkpoints: unknown end, then finished at max_steps', async () => {
    const dir = hf('training-elsewhere');
    const last = path.join(root, 'checkpoint-8-later');
    cpSync(path.join(dir, 'checkpoint-8'), last, { recursive: true });
    rmSync(path.join(dir, 'checkpoint-8'), { recursive: true });
    rmSync(path.join(dir, 'trainer_state.json'));
    const registry = new RunRegistry(root, { isAlive: async () => false });
    await registry.refreshAll();
    const midway = registry.get(dir);
    assert.deepEqual(
      [midway?.status, midway?.progress.steps.length, midway?.files.trainerState],
      ['unknown', 4, path.join(dir, 'checkpoint-4', 'trainer_state.json')],
      'no summary and short of max_steps: the end is unknown',
    );
    cpSync(last, path.join(dir, 'checkpoint-8'), { recursive: true });
    const done = await registry.refreshRun(dir);
    assert.deepEqual([done?.status, done?.progress.steps.length], ['finished', 8]);
  });

  it('a running run keeps its status with a broken config.yaml, but says why it cannot be read', async () => {
    const dir = ours('running', startedLine(path.join(root, 'running')) + stepLine(1), {
      'config.yaml': 'a: [1, 2\n',
      'trainer.pid': '77\n',
    });
    const run = await new RunRegistry(root, { isAlive: async () => true }).refreshRun(dir);
    assert.equal(run?.status, 'running');
    assert.match(run?.problem ?? '', /config\.yaml cannot be read/);
  });

  it('reads names and tags from .medqa-run.json for our runs and from the caller for imported ones', async () => {
    const mine = ours('mine', finishedLines(path.join(root, 'mine')), {
      [RUN_META_FILE]: JSON.stringify({ displayName: 'Baseline', tags: ['lr-1e-4', 'bad tag', 3] }),
    });
    const imported = hf('imported');
    const registry = new RunRegistry(root, {
      isAlive: async () => false,
      externalMeta: (dir) =>
        dir === imported ? { displayName: 'From the cluster', tags: ['hf'] } : undefined,
    });
    await registry.refreshAll();
    assert.deepEqual([registry.get(mine)?.displayName, registry.get(mine)?.tags], ['Baseline', ['lr-1e-4']]);
    assert.deepEqual(
      [registry.get(imported)?.displayName, registry.get(imported)?.tags],
      ['From the cluster', ['hf']],
    );
  });

  it('untrack drops a tracked folder from the list but keeps runs of the runs directory', async () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'medqa-tracked-'));
    try {
      const dir = path.join(elsewhere, 'hf');
      cpSync(path.join(fixturesDir, 'hf-run'), dir, { recursive: true });
      const inside = hf('inside');
      const registry = new RunRegistry(root, { isAlive: async () => false });
      registry.track(dir);
      await registry.refreshAll();
      assert.equal(registry.list().length, 2);
      assert.equal(registry.isInRunsDirectory(inside), true);
      assert.equal(registry.isInRunsDirectory(dir), false);
      registry.untrack(dir);
      assert.deepEqual(
        registry.list().map((r) => r.dir),
        [inside],
      );
      await registry.refreshAll();
      assert.deepEqual(
        registry.list().map((r) => r.dir),
        [inside],
      );
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('configProblem accepts what PyYAML writes and names the line of broken YAML', () => {
    assert.equal(configProblem('a: 1\nlist:\n- x\n- y\nrun_info:\n  nested: true\n'), undefined);
    assert.equal(configProblem(''), 'config.yaml is empty');
    assert.match(configProblem('- just\n- a list\n') ?? '', /expected a mapping of settings/);
    assert.match(configProblem('a: 1\nb: c: 2\n') ?? '', /^config\.yaml cannot be read: line \d+: /);
  });
});

describe('checkpoint discovery', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'medqa-ckpt-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const checkpointEvent = (step: number, evalLoss: number, isBest: boolean) =>
    ({
      v: 1,
      event: 'checkpoint',
      time: t,
      step,
      path: path.join(dir, `checkpoint-${step}`),
      eval_loss: evalLoss,
      is_best: isBest,
    }) as const;

  it("lists checkpoint-<step> folders by step, then the final adapter, marking the trainer's best", async () => {
    for (const step of [10, 2, 4]) adapter(path.join(dir, `checkpoint-${step}`));
    adapter(path.join(dir, 'adapter'));
    mkdirSync(path.join(dir, 'checkpoint-x'));
    mkdirSync(path.join(dir, 'logs'));
    const progress = applyEvents(emptyProgress(), [
      checkpointEvent(2, 2.0, true),
      checkpointEvent(4, 1.5, true),
      checkpointEvent(10, 1.7, false),
      {
        v: 1,
        event: 'run_finished',
        time: t,
        step: 10,
        best_checkpoint: 'checkpoint-4',
        adapter_path: path.join(dir, 'adapter'),
      },
    ]);
    const found = await discoverCheckpoints(dir, progress);
    assert.deepEqual(
      found.map((c) => [c.name, c.step, c.evalLoss, c.isBest]),
      [
        ['checkpoint-2', 2, 2.0, false],
        ['checkpoint-4', 4, 1.5, true],
        ['checkpoint-10', 10, 1.7, false],
        // The final adapter holds the best checkpoint's weights (load_best_model_at_end), so its eval loss.
        ['adapter', 10, 1.5, false],
      ],
    );
  });

  it('uses the latest is_best event while running, and marks a half-written checkpoint incomplete', async () => {
    adapter(path.join(dir, 'checkpoint-2'));
    adapter(path.join(dir, 'checkpoint-4'));
    adapter(path.join(dir, 'checkpoint-6'), false);
    const progress = applyEvents(emptyProgress(), [
      checkpointEvent(2, 2.0, true),
      checkpointEvent(4, 2.5, false),
    ]);
    const found = await discoverCheckpoints(dir, progress);
    assert.deepEqual(
      found.map((c) => [c.name, c.complete, c.isBest]),
      [
        ['checkpoint-2', true, true],
        ['checkpoint-4', true, false],
        ['checkpoint-6', false, false],
      ],
    );
  });

  it('falls back to the lowest eval loss when the recorded best was deleted', async () => {
    adapter(path.join(dir, 'checkpoint-4'));
    adapter(path.join(dir, 'checkpoint-6'));
    const progress = applyEvents(emptyProgress(), [
      checkpointEvent(2, 1.0, true),
      checkpointEvent(4, 2.0, false),
      checkpointEvent(6, 1.8, false),
    ]);
    const found = await discoverCheckpoints(dir, progress);
    assert.deepEqual(
      found.filter((c) => c.isBest).map((c) => c.name),
      ['checkpoint-6'],
    );
  });
});

describe('trainer liveness', () => {
  it('this test process is alive but not a trainer; a dead PID is not alive', async () => {
    assert.equal(await isTrainerAlive(process.pid), process.platform !== 'linux');
    assert.equal(await isTrainerAlive(2 ** 22 + 12345), false);
    assert.equal(
      isTrainerCommandLine(['/venv/bin/python', '-m', 'medqa_trainer', 'train', '--config', 'r.yaml']),
      true,
    );
    assert.equal(isTrainerCommandLine(['/venv/bin/python', '/venv/bin/medqa-trainer', 'train']), true);
    assert.equal(isTrainerCommandLine(['vim', 'medqa_trainer/train.py']), false, 'merely mentions the name');
    assert.equal(isTrainerCommandLine(['python', '-c', 'import medqa_trainer']), false);
  });
});
