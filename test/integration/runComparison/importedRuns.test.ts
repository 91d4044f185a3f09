import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { importedRunHome } from '../../../src/evaluation/importedRuns';
import type { RunInfo } from '../../../src/runs/registry';
import { fixturesDir } from '../../support/paths';
import { activateMedqa, workspaceRoot } from '../support';

const EVALUATION = '20260115-101500';

/** The fields of one CSV line (RFC 4180 quoting; these lines hold no line breaks). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  for (let i = 0; i <= line.length; i += 1) {
    let field = '';
    if (line[i] === '"') {
      for (i += 1; i < line.length && !(line[i] === '"' && line[i + 1] !== '"'); i += 1) {
        field += line[i];
        if (line[i] === '"') i += 1;
      }
      i += 1;
    } else for (; i < line.length && line[i] !== ','; i += 1) field += line[i];
    fields.push(field);
  }
  return fields;
}

/** The CSV export's line of the run in `folder`, by column name. */
function csvRow(csv: string, folder: string): Record<string, string> {
  const [header, ...lines] = csv.trimEnd().split('\r\n').map(csvFields);
  const row = lines.find((fields) => fields[header.indexOf('folder')] === folder);
  assert.ok(row, `the export has a line for ${folder}:\n${csv}`);
  return Object.fromEntries(header.map((name, i) => [name, row[i]]));
}

describe('run comparison: evaluations of imported Hugging Face runs', function () {
  this.timeout(60_000);
  let outside: string;
  let hfDir: string;

  before(async () => {
    await activateMedqa();
    outside = mkdtempSync(path.join(os.tmpdir(), 'medqa-compare-imported-'));
    hfDir = path.join(outside, 'qwen3-sft-output');
    cpSync(path.join(fixturesDir, 'hf-run'), hfDir, { recursive: true });
  });

  after(async () => {
    await vscode.commands.executeCommand('medqa.runs.removeFromList', hfDir);
    rmSync(importedRunHome(hfDir, workspaceRoot()), { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it("lists an imported run's newest evaluation, kept in the workspace, beside a run of ours", async () => {
    const ours = path.join(workspaceRoot(), '.medqa', 'runs', 'smollm2-medquad-cpu-small');
    const run = await vscode.commands.executeCommand<RunInfo>('medqa.runs.importHuggingFace', hfDir);
    assert.equal(run.source, 'huggingface');
    // An imported run is read-only: its evaluations live under <workspace>/.medqa/imported-runs/.
    const evaluationDir = path.join(importedRunHome(hfDir, workspaceRoot()), 'evaluations', EVALUATION);
    cpSync(path.join(fixturesDir, 'evaluation', 'sample-run', 'evaluations', EVALUATION), evaluationDir, {
      recursive: true,
    });

    const outFile = path.join(outside, 'comparison.csv');
    const written = await vscode.commands.executeCommand<string>('medqa.runs.exportComparison', {
      format: 'csv',
      outFile,
      runs: [ours, hfDir],
    });
    assert.equal(written, outFile);
    const csv = readFileSync(outFile, 'utf8');
    const imported = csvRow(csv, hfDir);
    assert.equal(imported.evaluation, evaluationDir, "the imported run's evaluation is listed");
    assert.equal(Number(imported.f1).toFixed(1), '89.1', "with its fine-tuned model's F1");
    assert.notEqual(csvRow(csv, ours).evaluation, '', 'the run of ours keeps its own evaluation');
  });
});
