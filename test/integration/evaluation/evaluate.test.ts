import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PredictionsResult } from '../../../src/evaluation/view/predictionsView';
import { trainerEnv } from '../../../src/trainer/pythonEnvironment';
import { runProcess } from '../../../src/util/process';
import { fixturesDir } from '../../support/paths';
import { activateMedqa, tinyModelDir, workspaceRoot } from '../support';

/** Fast enough for CI: the tiny random model, 4 questions, 8 new tokens each. */
const QUICK = { maxNewTokens: 8, batchSize: 4, limit: 4 };

function jsonl(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Waits for the Metrics panel's tab (the tab model updates a moment after the panel is created). */
async function waitForMetricsTab(timeoutMs = 10_000): Promise<void> {
  const describeTabs = () =>
    vscode.window.tabGroups.all.flatMap((group) =>
      group.tabs.map(
        (tab) =>
          `${tab.label} (${tab.input instanceof vscode.TabInputWebview ? tab.input.viewType : typeof tab.input})`,
      ),
    );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = vscode.window.tabGroups.all.some((group) =>
      group.tabs.some(
        (tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('medqa.metrics'),
      ),
    );
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`the Metrics panel did not open; tabs: ${describeTabs().join(', ') || 'none'}`);
}

async function closeEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

describe('evaluation: Evaluate Checkpoint on a run trained by the real trainer', function () {
  this.timeout(300_000);
  let workspace: string;
  let runDir: string;
  let testFile: string;
  let model: string;
  let evaluationDir: string;

  before(async () => {
    const extension = await activateMedqa();
    model = tinyModelDir();
    const python = vscode.workspace.getConfiguration('medqa').get<string>('pythonPath');
    assert.ok(python, 'medqa.pythonPath must be set by the test harness');
    workspace = workspaceRoot();

    const exportDir = path.join(workspace, '.medqa', 'exports', 'evaluation-fixture');
    cpSync(path.join(fixturesDir, 'evaluation', 'export'), exportDir, { recursive: true });
    testFile = path.join(exportDir, 'test.jsonl');
    runDir = path.join(workspace, '.medqa', 'runs', 'tiny-for-evaluation');
    mkdirSync(runDir, { recursive: true });
    const config = path.join(runDir, 'run.yaml');
    writeFileSync(
      config,
      [
        'preset: recommended',
        `model_name_or_path: ${JSON.stringify(model)}`,
        `train_file: ${JSON.stringify(path.join(exportDir, 'train.jsonl'))}`,
        `validation_file: ${JSON.stringify(path.join(exportDir, 'validation.jsonl'))}`,
        `dataset_manifest: ${JSON.stringify(path.join(exportDir, 'manifest.json'))}`,
        `output_dir: ${JSON.stringify(runDir)}`,
        'max_steps: 3',
        'eval_steps: 3',
        'save_steps: 3',
        'logging_steps: 1',
        'max_length: 128',
        'per_device_train_batch_size: 2',
        '',
      ].join('\n'),
    );
    const started = Date.now();
    const trained = await runProcess(python, ['-m', 'medqa_trainer', 'train', '--config', config], {
      cwd: runDir,
      env: trainerEnv(extension.extensionPath),
      timeoutMs: 180_000,
    });
    assert.equal(trained.code, 0, `the trainer failed:\n${trained.stderr.slice(-3000)}`);
    assert.ok(
      existsSync(path.join(runDir, 'checkpoint-3', 'adapter_config.json')),
      'the trainer saved no checkpoint-3',
    );
    console.log(
      `[evaluation] trained the tiny run (3 steps) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });

  after(closeEditors);

  it('evaluates base and adapter into <run>/evaluations/<timestamp>/, compares them and opens the Metrics panel', async () => {
    await closeEditors();
    const started = Date.now();
    const checkpoint = path.join(runDir, 'checkpoint-3');
    const dir = await vscode.commands.executeCommand<string>('medqa.evaluation.evaluateCheckpoint', {
      checkpointPath: checkpoint,
      testFile,
      ...QUICK,
    });
    assert.ok(dir, 'the command returned no evaluation folder (see the MedQA Studio log)');
    console.log(
      `[evaluation] evaluate (base + adapter) and compare took ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    evaluationDir = dir;
    assert.equal(path.dirname(dir), path.join(runDir, 'evaluations'));
    assert.match(path.basename(dir), /^\d{8}-\d{6}(-\d+)?$/);

    const record = JSON.parse(readFileSync(path.join(dir, 'evaluation.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(record.status, 'finished');
    assert.equal(record.baseModel, model, 'the base model comes from the run config');
    assert.deepEqual(record.settings, { ...QUICK, evaluateBase: true, repetitionPenalty: 1 });

    for (const side of ['base', 'adapter']) {
      const rows = jsonl(path.join(dir, side, 'predictions.jsonl'));
      assert.equal(rows.length, 4, `${side}: --limit 4`);
      assert.ok(rows.every((r) => typeof r.prediction === 'string' && typeof r.reference === 'string'));
      const metrics = JSON.parse(readFileSync(path.join(dir, side, 'metrics.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      assert.equal(metrics.n, 4);
      // Paths inside results are relative to the file's folder (docs/protocol.md #3), so they survive a move.
      const adapter = metrics.adapter as string | null;
      assert.equal(adapter && path.resolve(dir, side, adapter), side === 'adapter' ? checkpoint : null);
      assert.equal((metrics.decoding as { max_new_tokens: number }).max_new_tokens, 8);
    }
    const comparison = JSON.parse(readFileSync(path.join(dir, 'comparison.json'), 'utf8')) as {
      n: number;
      metrics: Record<string, unknown>;
    };
    assert.equal(comparison.n, 4);
    assert.ok('perplexity' in comparison.metrics && 'f1' in comparison.metrics);

    // The retrieval-only baseline over the run's training data, on the same 4 examples, compared with the adapter.
    const retrieval = record.retrieval as { index: string; trainData: string; status: string };
    assert.equal(retrieval.status, 'finished');
    assert.equal(
      retrieval.trainData,
      path.join(workspace, '.medqa', 'exports', 'evaluation-fixture', 'train.jsonl'),
    );
    assert.match(retrieval.index, /[/\\]\.medqa[/\\]retrieval[/\\]auto-[0-9a-f]{16}$/);
    const baseline = jsonl(path.join(dir, 'retrieval', 'predictions.jsonl'));
    assert.deepEqual(
      baseline.map((r) => r.id).sort(),
      jsonl(path.join(dir, 'adapter', 'predictions.jsonl'))
        .map((r) => r.id)
        .sort(),
      'the baseline answered the same sample',
    );
    const versus = JSON.parse(
      readFileSync(path.join(dir, 'versus-retrieval', 'comparison.json'), 'utf8'),
    ) as { n: number };
    assert.equal(versus.n, 4);
    await waitForMetricsTab();
  });

  it('exports the table as CSV and Markdown', async () => {
    assert.ok(evaluationDir, 'needs the evaluation of the previous test');
    const csvFile = path.join(workspace, 'exports', 'metrics.csv');
    const written = await vscode.commands.executeCommand<string>('medqa.evaluation.exportMetrics', {
      evaluationDir,
      format: 'csv',
      outFile: csvFile,
    });
    assert.equal(written, csvFile);
    const lines = readFileSync(csvFile, 'utf8').trimEnd().split('\r\n');
    assert.equal(
      lines[0],
      'group,n,metric,base,base_ci_low,base_ci_high,fine_tuned,fine_tuned_ci_low,fine_tuned_ci_high,absolute_change,relative_change,change_ci_low,change_ci_high,p_value,verdict,' +
        'retrieval,retrieval_ci_low,retrieval_ci_high,vs_retrieval_change,vs_retrieval_ci_low,vs_retrieval_ci_high,vs_retrieval_p_value,vs_retrieval_verdict',
    );
    const overall = lines.filter((l) => l.startsWith('overall,'));
    assert.deepEqual(
      overall.map((l) => l.split(',')[2]),
      // Then the grounding measures (closed-book rows: checked against the question alone; no citations).
      [
        'exact_match',
        'f1',
        'bleu',
        'rouge_l',
        'meteor',
        'perplexity',
        'support',
        'fabrication',
        'fabrication_count',
      ],
    );
    const perplexity = overall[5].split(',');
    assert.ok(
      Number(perplexity[3]) > 1 && Number(perplexity[6]) > 1,
      'perplexity of both models is in the CSV',
    );
    assert.ok(lines.length > 1 + 6, 'per-question-type rows follow the overall rows');

    const mdFile = path.join(workspace, 'exports', 'metrics.md');
    await vscode.commands.executeCommand('medqa.evaluation.exportMetrics', {
      evaluationDir,
      format: 'markdown',
      outFile: mdFile,
    });
    const markdown = readFileSync(mdFile, 'utf8');
    assert.match(markdown, /^# Evaluation tiny-for-evaluation · \d{8}-\d{6}/);
    assert.match(markdown, /\| Perplexity \| [\d,.]+ \[/);
    assert.match(markdown, /## Prediction hygiene/);
  });

  it('shows a given evaluation and opens one prediction as a read-only document', async () => {
    await closeEditors();
    const shown = await vscode.commands.executeCommand<string>('medqa.evaluation.showMetrics', {
      evaluationDir,
    });
    assert.equal(shown, evaluationDir);
    await waitForMetricsTab();
    const first = jsonl(path.join(evaluationDir, 'adapter', 'predictions.jsonl'))[0];
    const result = await vscode.commands.executeCommand<PredictionsResult>(
      'medqa.evaluation.openPredictions',
      {
        evaluationDir,
        side: 'adapter',
        id: first.id,
      },
    );
    assert.ok(result?.document);
    assert.equal(result.rows, 4);
    assert.deepEqual(result.problems, []);
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === result.document);
    assert.ok(document, 'the prediction document is open');
    assert.equal(document.uri.scheme, 'medqa-prediction');
    const text = document.getText();
    assert.ok(text.includes(String(first.question)) && text.includes(String(first.reference)));
    assert.match(text, /## Fine-tuned answer[\s\S]*## Base model answer/);
  });

  it('lists broken prediction lines by number and keeps the good rows', async () => {
    const broken = path.join(runDir, 'evaluations', 'broken-copy');
    cpSync(evaluationDir, broken, { recursive: true });
    const file = path.join(broken, 'adapter', 'predictions.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = lines[1].slice(0, 40); // a torn line
    lines[2] = JSON.stringify({ id: 'no-prediction', reference: 'r' });
    writeFileSync(file, lines.join('\n'));
    const good = JSON.parse(lines[0]) as { id: string };
    const result = await vscode.commands.executeCommand<PredictionsResult>(
      'medqa.evaluation.openPredictions',
      {
        evaluationDir: broken,
        side: 'adapter',
        id: good.id,
      },
    );
    assert.ok(result);
    assert.equal(result.rows, 2, 'lines 1 and 4 are still usable');
    assert.equal(result.problems.length, 2);
    assert.match(result.problems[0], new RegExp(`predictions\\.jsonl:2: not valid JSON`));
    assert.match(result.problems[1], /predictions\.jsonl:3: missing field 'prediction'/);

    // A broken metrics file: the export still has the other side and names the broken line.
    const metrics = path.join(broken, 'base', 'metrics.json');
    writeFileSync(metrics, readFileSync(metrics, 'utf8').replace('"n": 4,', '"n": 4,,'));
    const mdFile = path.join(workspace, 'exports', 'broken.md');
    await vscode.commands.executeCommand('medqa.evaluation.exportMetrics', {
      evaluationDir: broken,
      format: 'markdown',
      outFile: mdFile,
    });
    const markdown = readFileSync(mdFile, 'utf8');
    assert.match(markdown, /## Problems reading the files\n\n- .*metrics\.json:\d+: not valid JSON/);
  });

  it('reports a broken test file line by line and records the failure', async () => {
    const badTest = path.join(workspace, 'bad-test.jsonl');
    const good = readFileSync(testFile, 'utf8').split('\n')[0];
    writeFileSync(
      badTest,
      [good, '{"id": "x", "messages": [', good.replace('"assistant"', '"user"'), ''].join('\n'),
    );
    const outDir = path.join(runDir, 'evaluations', 'bad-data');
    const returned = await vscode.commands.executeCommand('medqa.evaluation.evaluateCheckpoint', {
      checkpointPath: path.join(runDir, 'checkpoint-3'),
      testFile: badTest,
      outDir,
      ...QUICK,
    });
    assert.equal(returned, undefined, 'a failed evaluation returns nothing (its error is shown)');
    const record = JSON.parse(readFileSync(path.join(outDir, 'evaluation.json'), 'utf8')) as {
      status: string;
      error: string;
    };
    assert.equal(record.status, 'failed');
    assert.match(record.error, /bad-test\.jsonl:2: not valid JSON/);
    assert.match(record.error, /bad-test\.jsonl:3: messages must/);
  });
});
