import * as assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEvaluation, readEvaluationRecord } from '../../../src/evaluation/evaluationFolder';
import {
  evaluationStages,
  planStages,
  runEvaluation,
  type EvaluationPlan,
} from '../../../src/evaluation/evaluationJob';
import {
  autoIndexDir,
  baselineArgs,
  ensureTrainingIndex,
  fileHash,
  indexBuildArgs,
  isIndexReady,
  modeLabel,
  ragArgs,
  ragProblem,
  trainingDataFor,
} from '../../../src/evaluation/retrievalSide';
import { fixturesDir, repoRoot } from '../../support/paths';

const sample = path.join(fixturesDir, 'evaluation', 'sample-run', 'evaluations', '20260115-101500');

/**
 * A stand-in for `python -m medqa_trainer index build|baseline|evaluate|compare` with the real commands' outputs
 * (index manifest, metrics and predictions copied from the real evaluator's fixture; the baseline answers as the
 * fixture's base model did). FAKE_MODE: ok | leak (baseline refuses the index as the trainer does) | no-bm25
 * (index build fails).
 */
const FAKE_TRAINER = `
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
const opt = (name) => args[args.indexOf(name) + 1];
const command = args[2];
fs.appendFileSync(process.env.FAKE_CALLS, JSON.stringify(args.slice(2)) + '\\n');
const copy = (from, out) => {
  fs.mkdirSync(out, { recursive: true });
  for (const f of ['predictions.jsonl', 'metrics.json']) fs.copyFileSync(path.join(process.env.FAKE_SAMPLE, from, f), path.join(out, f));
};
if (command === 'index') {
  if (process.env.FAKE_MODE === 'no-bm25') {
    console.error("error: the retrieval index needs bm25s: run 'MedQA: Set Up Python Environment'");
    process.exit(2);
  }
  fs.mkdirSync(opt('--out'), { recursive: true });
  fs.writeFileSync(path.join(opt('--out'), 'manifest.json'), JSON.stringify({ format: 'medqa-retrieval-index', version: 1, pairs: 12 }));
} else if (command === 'baseline') {
  if (process.env.FAKE_MODE === 'leak') {
    console.error('error: the index holds 2 evaluated pair(s) or members of their duplicate groups (e.g. q1). A test answer must never be retrieved for itself: build the index over the training split only.');
    process.exit(2);
  }
  copy('base', opt('--out'));
} else if (command === 'compare') {
  fs.mkdirSync(opt('--out'), { recursive: true });
  fs.copyFileSync(path.join(process.env.FAKE_SAMPLE, 'comparison.json'), path.join(opt('--out'), 'comparison.json'));
} else {
  copy(opt('--adapter') ? 'adapter' : 'base', opt('--out'));
}
`;

describe('evaluation: retrieval side (arguments, index cache, training data)', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-retrieval-side-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('builds index, baseline and RAG argument arrays the trainer takes', () => {
    assert.deepEqual(indexBuildArgs('/e x/train.jsonl', '/w/.medqa/retrieval/auto-1'), [
      '-m',
      'medqa_trainer',
      'index',
      'build',
      '--data',
      '/e x/train.jsonl',
      '--out',
      '/w/.medqa/retrieval/auto-1',
    ]);
    assert.deepEqual(
      baselineArgs({ index: '/i', data: '/t.jsonl', out: '/e/retrieval', limit: 20 }).slice(2),
      ['baseline', '--index', '/i', '--data', '/t.jsonl', '--out', '/e/retrieval', '--limit', '20'],
    );
    assert.ok(!baselineArgs({ index: '/i', data: '/t', out: '/o', limit: null }).includes('--limit'));
    assert.deepEqual(ragArgs('/i', { k: 3 }), ['--retrieval-index', '/i', '--k', '3']);
    assert.deepEqual(ragArgs('/i', { k: 5, contextTokens: 512 }).slice(-2), [
      '--retrieval-context-tokens',
      '512',
    ]);
    assert.equal(ragProblem({ k: 3 }), undefined);
    assert.match(ragProblem({ k: 0 }) ?? '', /1 to 20/);
    assert.match(ragProblem({ k: 21 }) ?? '', /1 to 20/);
    assert.match(ragProblem({ k: 3, contextTokens: 10 }) ?? '', /at least 64/);
    assert.equal(modeLabel(null), 'closed-book');
    assert.equal(modeLabel({ k: 3 }), 'RAG k=3');
  });

  it('caches the index by the content of the training file, and knows a complete index by its manifest', async () => {
    const a = path.join(root, 'a.jsonl');
    const b = path.join(root, 'b.jsonl');
    writeFileSync(a, '{"id":"1"}\n');
    writeFileSync(b, '{"id":"1"}\n');
    assert.equal(autoIndexDir(root, await fileHash(a)), autoIndexDir(root, await fileHash(b)));
    writeFileSync(b, '{"id":"2"}\n');
    assert.notEqual(autoIndexDir(root, await fileHash(a)), autoIndexDir(root, await fileHash(b)));
    assert.match(autoIndexDir(root, await fileHash(a)), /[/\\]\.medqa[/\\]retrieval[/\\]auto-[0-9a-f]{16}$/);
    const index = path.join(root, 'index');
    assert.equal(isIndexReady(index), false);
    mkdirSync(index);
    writeFileSync(path.join(index, 'manifest.json'), '{"format": "something-else"}');
    assert.equal(isIndexReady(index), false);
    writeFileSync(path.join(index, 'manifest.json'), '{"format": "medqa-retrieval-index"}');
    assert.equal(isIndexReady(index), true);
  });

  it("indexes the run's train_file, else the export's train.jsonl beside the test file, never the test file", () => {
    const exportDir = path.join(root, 'export');
    mkdirSync(exportDir);
    const test = path.join(exportDir, 'test.jsonl');
    const train = path.join(exportDir, 'train.jsonl');
    const own = path.join(root, 'own-train.jsonl');
    writeFileSync(test, '');
    const runDir = path.join(root, 'runs', 'r1');
    assert.equal(trainingDataFor(undefined, test, runDir), undefined);
    writeFileSync(train, '');
    assert.equal(trainingDataFor(undefined, test, runDir), train);
    assert.equal(trainingDataFor(path.join(root, 'missing.jsonl'), test, runDir), train);
    writeFileSync(own, '');
    assert.equal(trainingDataFor(own, test, runDir), own);
    // A shipped run's config.yaml names its data relative to the run folder.
    assert.equal(trainingDataFor('../../own-train.jsonl', test, runDir), own);
    // A run "trained" on its test file gets no index over it: every evaluated pair would retrieve itself.
    rmSync(train);
    assert.equal(trainingDataFor(test, test, runDir), undefined);
  });
});

describe('evaluation: runs with a retrieval side', function () {
  this.timeout(20_000);
  let root: string;
  let calls: string;
  let plan: EvaluationPlan;

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medqa-retrieval-run-'));
    const python = path.join(root, 'fake-python');
    writeFileSync(python, `#!${process.execPath}\n${FAKE_TRAINER}`);
    chmodSync(python, 0o755);
    calls = path.join(root, 'calls.jsonl');
    const evaluationDir = path.join(root, 'run', 'evaluations', 'e1');
    mkdirSync(evaluationDir, { recursive: true });
    plan = {
      python,
      env: { ...process.env, FAKE_SAMPLE: sample, FAKE_CALLS: calls, FAKE_MODE: 'ok' },
      runDir: path.join(root, 'run'),
      evaluationDir,
      checkpoint: path.join(root, 'run', 'checkpoint-3'),
      baseModel: '/models/tiny',
      testFile: path.join(root, 'export', 'test.jsonl'),
      settings: { maxNewTokens: 8, batchSize: 4, limit: 4, evaluateBase: true },
      retrieval: {
        index: path.join(root, '.medqa', 'retrieval', 'auto-0123456789abcdef'),
        trainData: path.join(root, 'export', 'train.jsonl'),
      },
      graceMs: 5000,
    };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const commands = () =>
    readFileSync(calls, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);

  it('builds the index, runs the baseline first, compares fine-tuned with base and with retrieval-only', async () => {
    const stages: string[] = [];
    const outcome = await runEvaluation(plan, {
      onStage: (stage) =>
        stages.push(
          stage.kind === 'evaluate'
            ? stage.side
            : stage.kind === 'compare'
              ? `compare ${stage.against}`
              : stage.kind,
        ),
    });
    assert.deepEqual(outcome, { status: 'finished' });
    assert.deepEqual(stages, ['index', 'baseline', 'adapter', 'base', 'compare base', 'compare retrieval']);
    const run = commands();
    assert.deepEqual(run[0], [
      'index',
      'build',
      '--data',
      plan.retrieval?.trainData,
      '--out',
      plan.retrieval?.index,
    ]);
    const [, baseline] = run;
    assert.equal(baseline[0], 'baseline');
    assert.equal(baseline[baseline.indexOf('--out') + 1], path.join(plan.evaluationDir, 'retrieval'));
    assert.equal(baseline[baseline.indexOf('--limit') + 1], '4', 'the same seeded sample as the model sides');
    const versus = run[5];
    assert.deepEqual(versus.slice(0, 5), [
      'compare',
      '--base',
      path.join(plan.evaluationDir, 'retrieval'),
      '--candidate',
      path.join(plan.evaluationDir, 'adapter'),
    ]);
    assert.equal(versus[6], path.join(plan.evaluationDir, 'versus-retrieval'));
    // Closed-book: the models generate without sources.
    assert.ok(run.slice(2, 4).every((args) => !args.includes('--retrieval-index')));
    const record = await readEvaluationRecord(plan.evaluationDir);
    assert.deepEqual(record?.retrieval, { ...plan.retrieval, status: 'finished' });

    // The next evaluation on the same training data reuses the index.
    assert.deepEqual(planStages(plan)[0], { kind: 'baseline' });

    // The panel: base, fine-tuned and retrieval-only, with the paired test of fine-tuned vs retrieval-only.
    const summary = await loadEvaluation(plan.evaluationDir);
    assert.equal(summary.mode, 'closed-book');
    assert.equal(summary.retrieval?.paired, true);
    assert.equal(summary.retrieval?.side?.n, 6);
    assert.equal(summary.retrieval?.index, plan.retrieval?.index);
    const comparison = JSON.parse(readFileSync(path.join(sample, 'comparison.json'), 'utf8')) as {
      metrics: Record<string, { base: number; absolute_change: number; p_value: number; ci: number[] }>;
    };
    const f1 = summary.overall.find((row) => row.metric === 'f1');
    assert.equal(f1?.retrieval?.value, comparison.metrics.f1.base);
    assert.deepEqual(f1?.versusRetrieval, {
      change: comparison.metrics.f1.absolute_change,
      changeCi: comparison.metrics.f1.ci,
      // 6 pairs: fewer than MIN_PAIRS_FOR_P_VALUE, so no p-value and no verdict (the interval stays).
      pValue: null,
      verdict: null,
    });
    // The retrieval side's own interval applies: the comparison saw the same examples (same value).
    assert.notDeepEqual(f1?.retrieval?.ci, [null, null]);
    assert.ok(summary.byQtype.some((group) => Object.values(group.rows).some((row) => row.retrieval)));
  });

  it('an evaluation folder from before the retrieval side still opens, without its column', async () => {
    const summary = await loadEvaluation(sample);
    assert.equal(summary.retrieval, null);
    assert.equal(summary.mode, 'closed-book');
    assert.ok(summary.overall.length > 0);
    assert.ok(
      summary.overall.every((row) => row.retrieval === undefined && row.versusRetrieval === undefined),
    );
  });

  it('without a paired comparison yet, the retrieval column shows its values and the change, no test', async () => {
    await runEvaluation(plan);
    rmSync(path.join(plan.evaluationDir, 'versus-retrieval'), { recursive: true });
    const summary = await loadEvaluation(plan.evaluationDir);
    assert.equal(summary.retrieval?.paired, false);
    const f1 = summary.overall.find((row) => row.metric === 'f1');
    assert.equal(typeof f1?.retrieval?.value, 'number');
    assert.equal(f1?.versusRetrieval?.pValue, null);
    assert.equal(f1?.versusRetrieval?.change, (f1?.adapter?.value ?? NaN) - (f1?.retrieval?.value ?? NaN));
  });

  it('a RAG evaluation gives both models the index and k', async () => {
    plan.settings = { ...plan.settings, rag: { k: 3 } };
    const outcome = await runEvaluation(plan);
    assert.equal(outcome.status, 'finished');
    const evaluations = commands().filter((args) => args[0] === 'evaluate');
    assert.equal(evaluations.length, 2);
    for (const args of evaluations)
      assert.deepEqual(args.slice(args.indexOf('--retrieval-index')), [
        '--retrieval-index',
        plan.retrieval?.index,
        '--k',
        '3',
      ]);
    const summary = await loadEvaluation(plan.evaluationDir);
    assert.equal(summary.mode, 'RAG k=3');
    assert.match(summary.title, /· RAG k=3$/);
  });

  it("closed-book: a refused index is recorded with the trainer's own words and the models are still evaluated", async () => {
    plan.env.FAKE_MODE = 'leak';
    const outcome = await runEvaluation(plan);
    assert.deepEqual(outcome, { status: 'finished' });
    assert.deepEqual(
      commands().map((args) => args[0]),
      ['index', 'baseline', 'evaluate', 'evaluate', 'compare'],
      'no comparison with a retrieval side that does not exist',
    );
    const record = await readEvaluationRecord(plan.evaluationDir);
    assert.equal(record?.retrieval?.status, 'failed');
    assert.match(
      record?.retrieval?.error ?? '',
      /^The retrieval baseline failed: the index holds 2 evaluated pair\(s\).*A test answer must never be retrieved for itself/,
    );
    const summary = await loadEvaluation(plan.evaluationDir);
    assert.ok(
      summary.notes.some((n) => n.includes('A test answer must never be retrieved for itself')),
      summary.notes.join('\n'),
    );
    assert.equal(summary.retrieval?.side, null);
    assert.ok(summary.overall.every((row) => row.retrieval == null));
  });

  it('a RAG evaluation stops when its index cannot be built', async () => {
    plan.env.FAKE_MODE = 'no-bm25';
    plan.settings = { ...plan.settings, rag: { k: 3 } };
    const outcome = await runEvaluation(plan);
    assert.equal(outcome.status, 'failed');
    assert.match(
      outcome.error ?? '',
      /^Building the retrieval index over the training data failed: the retrieval index needs bm25s/,
    );
    assert.deepEqual(
      commands().map((args) => args[0]),
      ['index'],
    );
    const record = await readEvaluationRecord(plan.evaluationDir);
    assert.equal(record?.status, 'failed');
    assert.equal(record?.retrieval?.status, 'failed');
  });

  it("a grounded training run's index: built once over the training split, then reused", async () => {
    const trainFile = path.join(root, 'train.jsonl');
    writeFileSync(trainFile, '{"id": "a"}\n');
    const options = { python: plan.python, env: plan.env, workspaceRoot: root, trainFile };
    const first = await ensureTrainingIndex(options);
    assert.equal(first.exit?.code, 0);
    assert.match(first.index, /auto-[0-9a-f]{16}$/);
    assert.equal(isIndexReady(first.index), true);
    assert.deepEqual(commands(), [['index', 'build', '--data', trainFile, '--out', first.index]]);
    const again = await ensureTrainingIndex(options);
    assert.deepEqual(again, { index: first.index }, 'reused: no build');
    assert.equal(commands().length, 1);
    // Another training split, another index; a failed build says so through its exit.
    writeFileSync(trainFile, '{"id": "b"}\n');
    plan.env.FAKE_MODE = 'no-bm25';
    const failed = await ensureTrainingIndex({ ...options, env: plan.env });
    assert.notEqual(failed.index, first.index);
    assert.equal(failed.exit?.code, 2);
    assert.match(failed.exit?.stderrTail.join('\n') ?? '', /needs bm25s/);
  });

  it('without training data there is no retrieval side, as before', () => {
    assert.deepEqual(
      evaluationStages(plan.settings).map((s) => s.kind),
      ['evaluate', 'evaluate', 'compare'],
    );
    assert.equal(existsSync(path.join(plan.evaluationDir, 'retrieval')), false);
  });
});

describe('evaluation: the retrieval side with the real trainer (index build, baseline, compare)', function () {
  this.timeout(120_000);
  const realPython = path.join(repoRoot, '.venv', 'bin', 'python');
  const exportDir = path.join(fixturesDir, 'evaluation', 'export');
  let root: string;
  let plan: EvaluationPlan;

  beforeEach(() => {
    assert.ok(existsSync(realPython), `this test needs the project venv at ${realPython}`);
    root = mkdtempSync(path.join(os.tmpdir(), 'medqa-retrieval-real-'));
    // The models' answers come from the fixture (no model to run here); every other command is the real trainer.
    const python = path.join(root, 'python');
    writeFileSync(
      python,
      `#!${process.execPath}
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
if (args[2] === 'evaluate') {
  const out = args[args.indexOf('--out') + 1];
  const side = args.includes('--adapter') ? 'adapter' : 'base';
  fs.mkdirSync(out, { recursive: true });
  for (const f of ['predictions.jsonl', 'metrics.json']) fs.copyFileSync(path.join(process.env.FAKE_SAMPLE, side, f), path.join(out, f));
  process.exit(0);
}
const result = spawnSync(process.env.REAL_PYTHON, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
`,
    );
    chmodSync(python, 0o755);
    const evaluationDir = path.join(root, 'run', 'evaluations', 'e1');
    mkdirSync(evaluationDir, { recursive: true });
    plan = {
      python,
      env: {
        ...process.env,
        FAKE_SAMPLE: sample,
        REAL_PYTHON: realPython,
        PYTHONPATH: path.join(repoRoot, 'trainer'),
      },
      runDir: path.join(root, 'run'),
      evaluationDir,
      checkpoint: path.join(root, 'run', 'checkpoint-3'),
      baseModel: '/models/tiny',
      testFile: path.join(exportDir, 'test.jsonl'),
      settings: { maxNewTokens: 8, batchSize: 4, limit: null, evaluateBase: true },
      retrieval: {
        index: path.join(root, '.medqa', 'retrieval', 'auto-0123456789abcdef'),
        trainData: path.join(exportDir, 'train.jsonl'),
      },
    };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes a retrieval column the Metrics panel reads, paired with the fine-tuned answers', async () => {
    const outcome = await runEvaluation(plan);
    assert.deepEqual(outcome, { status: 'finished' });
    assert.ok(isIndexReady(plan.retrieval?.index ?? ''));
    const metrics = JSON.parse(
      readFileSync(path.join(plan.evaluationDir, 'retrieval', 'metrics.json'), 'utf8'),
    ) as { source: string; overall: Record<string, { value: number }> };
    assert.equal(metrics.source, 'retrieval-baseline');
    const summary = await loadEvaluation(plan.evaluationDir);
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.retrieval?.paired, true);
    assert.equal(summary.retrieval?.n, 6);
    const f1 = summary.overall.find((row) => row.metric === 'f1');
    assert.ok(Math.abs((f1?.retrieval?.value ?? NaN) - metrics.overall.f1.value) < 1e-9);
    const versus = JSON.parse(
      readFileSync(path.join(plan.evaluationDir, 'versus-retrieval', 'comparison.json'), 'utf8'),
    ) as { metrics: { f1: { absolute_change: number; p_value: number | null } } };
    // compare ran with the retrieval side as its base and the fine-tuned answers as its candidate.
    assert.equal(f1?.versusRetrieval?.change, versus.metrics.f1.absolute_change);
    assert.ok(
      Math.abs(
        (f1?.adapter?.value ?? NaN) - (f1?.retrieval?.value ?? NaN) - versus.metrics.f1.absolute_change,
      ) < 1e-9,
    );
    assert.equal(f1?.versusRetrieval?.pValue, versus.metrics.f1.p_value);
  });

  it('an index that holds a test pair is refused by the trainer, in its own words, and no column is shown', async () => {
    const leaky = path.join(root, 'train-and-test.jsonl');
    writeFileSync(
      leaky,
      readFileSync(path.join(exportDir, 'train.jsonl'), 'utf8') +
        readFileSync(path.join(exportDir, 'test.jsonl'), 'utf8'),
    );
    plan.retrieval = { index: path.join(root, 'leaky-index'), trainData: leaky };
    const outcome = await runEvaluation(plan);
    assert.deepEqual(outcome, { status: 'finished' });
    const record = await readEvaluationRecord(plan.evaluationDir);
    assert.equal(record?.retrieval?.status, 'failed');
    assert.match(
      record?.retrieval?.error ?? '',
      /^The retrieval baseline failed: .*A test answer must never be retrieved for itself/s,
    );
    const summary = await loadEvaluation(plan.evaluationDir);
    assert.ok(summary.overall.every((row) => !row.retrieval));
  });
});
