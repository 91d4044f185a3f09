import * as assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MedqaApi } from '../../../src/extension';
import { fixturesDir } from '../../support/paths';
import { activateMedqa, workspaceRoot } from '../support';

const EVALUATION = '20260115-101500';

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function gradeLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('grading: grades, CodeLens, diffs and summaries in a real VS Code', function () {
  this.timeout(120_000);
  let api: MedqaApi;
  let evaluationDir: string;
  let gradesDir: string;
  let grader: string;

  before(async () => {
    api = (await activateMedqa()).exports as MedqaApi;
    const root = workspaceRoot();
    evaluationDir = path.join(root, '.medqa', 'runs', 'graded-run', 'evaluations', EVALUATION);
    cpSync(path.join(fixturesDir, 'evaluation', 'sample-run', 'evaluations', EVALUATION), evaluationDir, {
      recursive: true,
    });
    gradesDir = path.join(root, '.medqa', 'grades');
    rmSync(gradesDir, { recursive: true, force: true });
    grader = api.grading.grades.grader();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('grades an answer through the CodeLens of its predictions.jsonl line and shows the grade there', async () => {
    const file = path.join(evaluationDir, 'adapter', 'predictions.jsonl');
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri);
    const lenses = await until('CodeLens on predictions.jsonl', async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>(
        'vscode.executeCodeLensProvider',
        uri,
      );
      return found && found.length > 0 ? found : undefined;
    });
    const onFirstLine = lenses.filter((l) => l.range.start.line === 0);
    assert.deepEqual(
      onFirstLine.map((l) => l.command?.title),
      [
        '$(circle-outline) Ungraded',
        '1',
        '2',
        '3',
        '4',
        'Flags…',
        'Compare with Reference',
        'Base vs Fine-tuned',
      ],
    );
    const three = onFirstLine[3].command as vscode.Command;
    await vscode.commands.executeCommand(three.command, ...(three.arguments ?? []));
    const after = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      uri,
    );
    assert.equal(
      after?.find((l) => l.range.start.line === 0)?.command?.title,
      '$(star-full) 3 · Correct but incomplete',
    );
    const lines = gradeLines(path.join(gradesDir, `${grader}.jsonl`));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].example, '9_CDC_QA/0000201/1');
    assert.equal(lines[0].grade, 3);
    assert.equal(lines[0].run, 'graded-run');
  });

  it('shows the reference when hovering an answer line', async () => {
    const uri = vscode.Uri.file(path.join(evaluationDir, 'adapter', 'predictions.jsonl'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      uri,
      new vscode.Position(0, 5),
    );
    const text = hovers
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
      .join('\n');
    assert.match(text, /Measles is a very contagious disease caused by a virus\. It spreads/);
  });

  it('opens the answers document and the native diff editor on sentence-per-line documents', async () => {
    const opened = await vscode.commands.executeCommand<string>('medqa.grading.openAnswers', {
      evaluationDir,
      side: 'adapter',
    });
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === opened);
    assert.ok(document, 'the answers document is open');
    assert.match(document.getText(), /### Answer\nMeasles is a very contagious disease/);
    const right = await vscode.commands.executeCommand<string>('medqa.grading.compareWithReference', {
      dir: evaluationDir,
      side: 'adapter',
      id: '9_CDC_QA/0000201/1',
    });
    const tab = await until('the diff tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === right),
    );
    assert.match(tab.label, /Reference ↔ Fine-tuned/);
    const reference = (tab.input as vscode.TabInputTextDiff).original;
    const text = (await vscode.workspace.openTextDocument(reference)).getText();
    assert.equal(text.split('\n').filter(Boolean).length, 2, `one sentence per line:\n${text}`);
  });

  it('picks up grades written by another writer, reports a garbage line and loses nothing', async () => {
    const file = path.join(gradesDir, `${grader}.jsonl`);
    const [first] = gradeLines(file);
    appendFileSync(
      file,
      'this is not json\n' + JSON.stringify({ ...first, grade: 1, at: new Date().toISOString() }) + '\n',
    );
    const summary = await until('the grade from the other writer', async () => {
      const found = await api.grading.summary(evaluationDir);
      return found?.sides.find((s) => s.side === 'adapter')?.mean.value === 1 ? found : undefined;
    });
    assert.equal(summary.problems.length, 1);
    assert.match(summary.problems[0], /:2: not valid JSON; it is skipped/);
    const exported = path.join(workspaceRoot(), 'grades-export.csv');
    await vscode.commands.executeCommand('medqa.grading.exportGrades', {
      evaluationDir,
      format: 'csv',
      outFile: exported,
    });
    const csv = readFileSync(exported, 'utf8').trim().split('\r\n');
    assert.equal(csv.length, 2, 'header and the one current grade');
    assert.match(csv[1], /^9_CDC_QA\/0000201\/1,information,adapter,/);
  });

  it('explains a predictions file without references and an invalid grader name', async () => {
    const broken = path.join(workspaceRoot(), '.medqa', 'runs', 'graded-run', 'evaluations', 'broken');
    mkdirSync(path.join(broken, 'adapter'), { recursive: true });
    writeFileSync(
      path.join(broken, 'adapter', 'predictions.jsonl'),
      JSON.stringify({ id: 'x1', question: 'Q?', prediction: 'An answer.' }) + '\n',
    );
    writeFileSync(path.join(broken, 'adapter', 'metrics.json'), '{}');
    const state = await vscode.commands.executeCommand<{ problems: string[]; progress: { total: number } }>(
      'medqa.grading.gradeAnswers',
      { evaluationDir: broken },
    );
    assert.equal(state.progress.total, 0);
    assert.match(state.problems.join('\n'), /predictions\.jsonl:1: missing field 'reference'/);

    const config = vscode.workspace.getConfiguration('medqa');
    await config.update('grading.grader', '../escape', vscode.ConfigurationTarget.Workspace);
    try {
      const before = api.commandErrors.length;
      await vscode.commands.executeCommand('medqa.grading.setGrade', {
        dir: evaluationDir,
        side: 'base',
        id: '9_CDC_QA/0000201/1',
        grade: 2,
      });
      assert.match(
        api.commandErrors
          .slice(before)
          .map((e) => e.message)
          .join('\n'),
        /"\.\.\/escape" cannot be a grader name/,
      );
      assert.ok(!existsSync(path.join(gradesDir, '..', 'escape.jsonl')));
    } finally {
      await config.update('grading.grader', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
