import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointsSelection, type CheckpointsScope } from '../../../src/runs/checkpointsSelection';
import { RunRegistry } from '../../../src/runs/registry';
import { bestCheckpointText, runDescription } from '../../../src/runs/view/runItems';
import { repoRoot } from '../../support/paths';

const demoRuns = path.join(repoRoot, 'demo', '.medqa', 'runs');

describe('the shipped demo run: best checkpoint and eval losses', () => {
  it('its final adapter carries the best eval loss and is the best on disk, as the description says', async () => {
    // The demo ships only adapter/ (no checkpoint-<step>/ folders): the views showed "best eval 1.72" beside
    // "Best –" and an eval loss of "–" for its only checkpoint.
    const registry = new RunRegistry(demoRuns, { isAlive: async () => false });
    const run = (await registry.refreshAll()).find((r) => r.name === 'smollm2-medquad-cpu-small');
    assert.ok(run, `no demo run under ${demoRuns}`);
    const best = run.progress.bestEvalLoss;
    assert.equal(typeof best, 'number');
    const adapter = run.checkpoints.find((c) => c.kind === 'final');
    assert.ok(adapter);
    assert.equal(adapter.evalLoss, best);
    assert.equal(adapter.isBest, true);
    const text = bestCheckpointText(run);
    assert.ok(text, 'a Best tile with a name');
    assert.equal(text.evalLoss, best);
    assert.match(text.name, /^adapter \(weights of checkpoint-\d+\)$/);
    assert.match(runDescription(run), /best eval 1\.72/);
  });
});

describe('Checkpoints view: heading and items from one selection', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-ckscope-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function makeRun(name: string): string {
    const dir = path.join(root, name);
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, 'events.jsonl'),
      JSON.stringify({
        v: 1,
        event: 'run_started',
        time: '2025-01-01T00:00:00.000Z',
        run_id: name,
        output_dir: dir,
        config: {},
        environment: { python: '3', torch: '2', device: 'cpu', qlora: false },
        total_steps: 2,
      }) + '\n',
    );
    return dir;
  }

  it('a new selection changes the heading at once, with the items, and both name the same run', async () => {
    const a = makeRun('run-a');
    const b = makeRun('run-b');
    const registry = new RunRegistry(root, { isAlive: async () => false });
    await registry.refreshAll();
    const selection = new CheckpointsSelection(registry);
    const seen: CheckpointsScope[] = [];
    selection.onDidChange((scope) => seen.push(scope));
    selection.select(a);
    selection.select(b);
    // Before the fix the heading was recomputed only on registry events: still "Run run-a" here.
    assert.deepEqual(seen, [
      { runDir: a, heading: 'Run run-a' },
      { runDir: b, heading: 'Run run-b' },
    ]);
    assert.deepEqual(selection.scope(), { runDir: b, heading: 'Run run-b' });
    selection.dispose();
  });

  it('a selected run that disappears clears heading and scope together, on the registry event', async () => {
    const a = makeRun('run-a');
    const registry = new RunRegistry(root, { isAlive: async () => false });
    await registry.refreshAll();
    const selection = new CheckpointsSelection(registry);
    selection.select(a);
    const seen: CheckpointsScope[] = [];
    selection.onDidChange((scope) => seen.push(scope));
    rmSync(a, { recursive: true });
    await registry.refreshAll();
    assert.deepEqual(seen.at(-1), { runDir: undefined, heading: undefined });
    selection.dispose();
  });
});
