import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluationHome, listEvaluations } from '../../../src/evaluation/evaluationFolder';
import {
  adoptLegacyEvaluations,
  importedRunKey,
  legacyImportedHomes,
} from '../../../src/evaluation/importedRuns';

describe('evaluations of imported (read-only) runs', () => {
  let root: string;
  let workspace: string;
  let first: string;
  let second: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medqa-imported-'));
    workspace = path.join(root, 'workspace');
    first = path.join(root, 'project-a', 'output');
    second = path.join(root, 'project-b', 'output');
    for (const dir of [workspace, first, second]) mkdirSync(dir, { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const hf = (dir: string) => ({ dir, source: 'huggingface' });

  /** An evaluation folder as an older version wrote it, under imported-runs/<name>/. */
  function legacyEvaluation(name: string, runDir: string | undefined): string {
    const dir = path.join(workspace, '.medqa', 'imported-runs', 'output', 'evaluations', name);
    mkdirSync(dir, { recursive: true });
    const record = { format: 'medqa-evaluation', version: 1, checkpoint: 'checkpoint-8', status: 'finished' };
    writeFileSync(path.join(dir, 'evaluation.json'), JSON.stringify(runDir ? { ...record, runDir } : record));
    return dir;
  }

  it('gives two imported runs with the same folder name their own evaluation folders', () => {
    const a = evaluationHome(hf(first), workspace);
    const b = evaluationHome(hf(second), workspace);
    assert.notEqual(a, b);
    assert.match(path.basename(a), /^output-[0-9a-f]{8}$/);
    assert.equal(path.dirname(a), path.join(workspace, '.medqa', 'imported-runs'));
    // The same run reached through a link is the same run.
    const link = path.join(root, 'link-to-a');
    symlinkSync(first, link);
    assert.equal(importedRunKey(link), importedRunKey(first).replace(/^output/, 'link-to-a'));
    assert.equal(importedRunKey(link).slice(-8), importedRunKey(first).slice(-8));
    // A run of our own keeps its evaluations in its folder.
    assert.equal(evaluationHome({ dir: first }, workspace), first);
  });

  it("moves each run's evaluations out of the folder older versions shared by name, and keeps the rest listed", async () => {
    legacyEvaluation('20261201-100000', first);
    // Records may hold the run's path relative to the evaluation folder.
    const relative = legacyEvaluation('20261202-100000', undefined);
    legacyEvaluation('20261202-100000', path.relative(relative, second));
    legacyEvaluation('20261203-100000', undefined);
    assert.equal(await adoptLegacyEvaluations(first, workspace), 1);
    assert.equal(await adoptLegacyEvaluations(second, workspace), 1);
    assert.equal(await adoptLegacyEvaluations(first, workspace), 0, 'nothing left of it');
    const homeA = evaluationHome(hf(first), workspace);
    const homeB = evaluationHome(hf(second), workspace);
    assert.deepEqual(readdirSync(path.join(homeA, 'evaluations')), ['20261201-100000']);
    assert.deepEqual(readdirSync(path.join(homeB, 'evaluations')), ['20261202-100000']);
    assert.deepEqual(
      (await listEvaluations([homeA])).map((e) => path.basename(e.dir)),
      ['20261201-100000'],
      "the other run's evaluation is not listed as this run's",
    );
    // The one naming no run stays where it was, and is still found.
    const legacy = path.join(workspace, '.medqa', 'imported-runs', 'output');
    assert.ok(existsSync(path.join(legacy, 'evaluations', '20261203-100000')));
    assert.deepEqual(await legacyImportedHomes(workspace, [homeA, homeB]), [legacy]);
  });
});
