import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArtifactIndex, type ArtifactChange } from '../../../src/artifacts/artifactIndex';
import { evaluationDirOfFile, outermost } from '../../../src/artifacts/artifactPaths';
import { importedRunHome } from '../../../src/evaluation/importedRuns';
import { playgroundHome } from '../../../src/inference/playgroundRecord';
import { RunRegistry } from '../../../src/runs/registry';
import { fixturesDir } from '../../support/paths';

/** `<home>/evaluations/<name>/evaluation.json` for the run `runDir`. */
function evaluation(home: string, name: string, runDir: string, createdAt: string): string {
  const dir = path.join(home, 'evaluations', name);
  mkdirSync(dir, { recursive: true });
  const record = { format: 'medqa-evaluation', version: 1, createdAt, runDir, checkpoint: 'checkpoint-8' };
  writeFileSync(path.join(dir, 'evaluation.json'), JSON.stringify({ ...record, status: 'finished' }));
  return dir;
}

describe('the index of run artefacts', () => {
  let root: string;
  let workspace: string;
  let runsDir: string;
  let ours: string;
  let imported: string;
  let index: ArtifactIndex;
  beforeEach(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medqa-artifacts-'));
    workspace = path.join(root, 'workspace');
    runsDir = path.join(workspace, 'runs');
    ours = path.join(runsDir, 'ours');
    mkdirSync(ours, { recursive: true });
    writeFileSync(path.join(ours, 'run.yaml'), 'model_name_or_path: tiny\n');
    // A Hugging Face Trainer folder outside the workspace, imported read-only.
    imported = path.join(root, 'elsewhere', 'output');
    cpSync(path.join(fixturesDir, 'hf-run'), imported, { recursive: true });
    const registry = new RunRegistry(runsDir, { isAlive: async () => false });
    registry.track(imported);
    index = new ArtifactIndex(registry, () => workspace);
    await registry.refreshAll();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("lists an imported run's evaluations, kept in the workspace, as that run's", async () => {
    const home = importedRunHome(imported, workspace);
    const dir = evaluation(home, '20260102-100000', imported, '2026-01-02T10:00:00Z');
    assert.deepEqual(
      (await index.evaluationsOf(imported)).map((e) => e.dir),
      [dir],
    );
    assert.equal(index.evaluationHomeOf(imported), home);
    assert.equal(index.evaluationHomeOf(ours), ours);
  });

  it('lists the evaluations of our runs, imported runs and the Playground together, newest first', async () => {
    const own = evaluation(ours, '20260101-100000', ours, '2026-01-01T10:00:00Z');
    const hf = evaluation(importedRunHome(imported, workspace), 'x', imported, '2026-01-02T10:00:00Z');
    const playground = evaluation(
      playgroundHome(workspace, 'ours', 'checkpoint-8'),
      'playground',
      ours,
      '2026-01-03T10:00:00Z',
    );
    // Results copied into the runs directory without the run's own files are listed too.
    const copied = evaluation(path.join(runsDir, 'copied'), 'y', ours, '2025-12-31T10:00:00Z');
    assert.deepEqual(
      (await index.evaluations()).map((e) => e.dir),
      [playground, hf, own, copied],
    );
  });

  it('routes changed files: runs are refreshed, exports rescanned, evaluations reported', async () => {
    const changes: ArtifactChange[] = [];
    index.onDidChange((change) => changes.push(change));
    const predictions = path.join(ours, 'evaluations', '20260101-100000', 'adapter', 'predictions.jsonl');
    mkdirSync(path.dirname(predictions), { recursive: true });
    writeFileSync(predictions, '');
    const manifest = path.join(workspace, '.medqa', 'onnx', 'ours', 'checkpoint-8', 'medqa-onnx.json');
    mkdirSync(path.dirname(manifest), { recursive: true });
    const adapter = path.join(ours, 'checkpoint-8');
    writeFileSync(
      manifest,
      JSON.stringify({ format: 'medqa-onnx-export', model: 'tiny', adapter, files: {} }),
    );
    const refreshed: string[] = [];
    index.runs.onDidChange((changed) => refreshed.push(...changed.map((r) => r.dir)));
    const baseExport = path.join(workspace, '.medqa', 'onnx', 'base', 'tiny');
    await index.filesChanged([predictions, manifest, baseExport, path.join(workspace, 'notes.md')]);
    assert.deepEqual(refreshed, [ours], 'the run whose folder changed is refreshed, and only it');
    assert.deepEqual(
      index.exports.of(adapter).map((e) => e.dir),
      [path.dirname(manifest)],
    );
    assert.equal(changes.length, 1);
    assert.equal(changes[0].exports, true);
    assert.deepEqual([...changes[0].evaluations], [[path.dirname(path.dirname(predictions)), [predictions]]]);
    // A file nothing lists changes nothing.
    await index.filesChanged([path.join(workspace, 'data', 'pairs.csv')]);
    assert.equal(changes.length, 1);
  });

  it('watches the workspace, and runs and followed folders outside it, once each', () => {
    const shown = path.join(root, 'copied-evaluation');
    const following = index.follow(shown);
    assert.deepEqual(index.watchRoots(), [workspace, imported, shown]);
    following.dispose();
    assert.deepEqual(index.watchRoots(), [workspace, imported]);
  });
});

describe('artefact paths', () => {
  const e = path.join('/w', 'runs', 'r', 'evaluations', '20260101-100000');
  it('finds the evaluation folder of a changed file from the layout', () => {
    assert.equal(evaluationDirOfFile(path.join(e, 'base', 'metrics.json')), e);
    assert.equal(evaluationDirOfFile(path.join(e, 'versus-retrieval', 'comparison.json')), e);
    assert.equal(evaluationDirOfFile(path.join(e, 'evaluation.json')), e);
    assert.equal(evaluationDirOfFile(path.join(e, 'notes', 'deep', 'x.json')), e);
    assert.equal(evaluationDirOfFile(e), e);
    assert.equal(evaluationDirOfFile(path.join('/w', 'runs', 'r', 'events.jsonl')), undefined);
    const bare = path.join('/w', 'out');
    assert.equal(evaluationDirOfFile(path.join(bare, 'notes.json'), [bare]), bare);
  });

  it('keeps only the outermost of nested folders', () => {
    assert.deepEqual(outermost(['/w/runs', '/w', undefined, '/x', '/w/']), ['/w', '/x']);
  });
});
