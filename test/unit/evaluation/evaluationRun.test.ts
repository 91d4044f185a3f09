import * as assert from 'node:assert/strict';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  listEvaluations,
  loadEvaluation,
  readEvaluationRecord,
  runDirOfEvaluation,
} from '../../../src/evaluation/evaluationFolder';
import { createEvaluationFolder, evaluationFolderName } from '../../../src/evaluation/evaluationWriter';
import {
  evaluationStages,
  leftText,
  runEvaluation,
  secondsLeft,
  type EvaluationPlan,
} from '../../../src/evaluation/evaluationJob';
import {
  compareArgs,
  evaluateArgs,
  parseWholeNumber,
  settingsProblem,
} from '../../../src/evaluation/launcher';
import { failureText } from '../../../src/trainer/process';
import { fixturesDir } from '../../support/paths';

const sample = path.join(fixturesDir, 'evaluation', 'sample-run', 'evaluations', '20260115-101500');

/**
 * A stand-in for `python` that answers `-m medqa_trainer evaluate|compare` the way the evaluator does (events file,
 * outputs copied from the real evaluator's fixture, SIGTERM keeps what was done), so the orchestration can be tested
 * in milliseconds. FAKE_MODE picks the behaviour: ok | slow | bad-data.
 */
const FAKE_EVALUATOR = `
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
const opt = (name) => args[args.indexOf(name) + 1];
const command = args[2];
const log = (file) => (event, fields) => fs.appendFileSync(file, JSON.stringify({ v: 1, event, time: new Date().toISOString(), ...fields }) + '\\n');
fs.appendFileSync(process.env.FAKE_CALLS, JSON.stringify(args) + '\\n');
if (command === 'compare') {
  fs.copyFileSync(path.join(process.env.FAKE_SAMPLE, 'comparison.json'), path.join(opt('--out'), 'comparison.json'));
  process.exit(0);
}
const out = opt('--out');
const side = opt('--adapter') || path.basename(out) === 'adapter' ? 'adapter' : 'base';
fs.mkdirSync(out, { recursive: true });
const emit = log(path.join(out, 'events.jsonl'));
if (process.env.FAKE_MODE === 'bad-data') {
  console.error('loading…');
  console.error('error: ' + opt('--data') + ' cannot be evaluated (2 problem(s)):');
  console.error(opt('--data') + ':3: not valid JSON (Expecting value at column 1)');
  console.error(opt('--data') + ":7: messages must contain a user turn and end with the assistant's answer");
  process.exit(2);
}
const finish = (cancelled) => {
  for (const f of ['predictions.jsonl', 'metrics.json']) fs.copyFileSync(path.join(process.env.FAKE_SAMPLE, side, f), path.join(out, f));
  emit('eval_finished', { n: 6, metrics_path: 'm', predictions_path: 'p', cancelled });
  process.exit(0);
};
// Like the real evaluator, the SIGTERM handler is in place before the first event: progress now arrives by file
// events, at once, so a cancel can follow the first eval_progress within milliseconds.
if (process.env.FAKE_MODE === 'slow') process.on('SIGTERM', () => finish(true));
emit('eval_started', { model: opt('--model'), adapter: opt('--adapter') || null, total: 6 });
emit('eval_progress', { done: 3, total: 6 });
if (process.env.FAKE_MODE === 'slow') {
  console.log('ready');
  setInterval(() => {}, 1000);
} else {
  setTimeout(() => { emit('eval_progress', { done: 6, total: 6 }); finish(false); }, 600);
}
`;

describe('evaluation: time left, measured from the answers so far', () => {
  it('extrapolates this stage and the later generation stages, and says nothing before a first answer', () => {
    assert.equal(secondsLeft({ elapsedMs: 5_000, done: 0, total: 200 }, 1), undefined);
    // 10 answers in 20 s: 2 s each; 190 left here and 200 in the base-model stage after it.
    assert.equal(secondsLeft({ elapsedMs: 20_000, done: 10, total: 200 }, 1), 780);
    assert.equal(secondsLeft({ elapsedMs: 20_000, done: 10, total: 200 }, 0), 380);
    assert.equal(leftText(45), 'about 45 s left');
    assert.equal(leftText(780), 'about 13 min left');
    assert.equal(leftText(3 * 3600), 'about 3.0 h left');
  });
});

describe('evaluation: launcher arguments and settings', () => {
  it('generates on an ONNX export with --engine onnx: the export names its model and adapter', () => {
    const input = {
      model: '/m',
      adapter: '/r/checkpoint-3',
      data: '/t.jsonl',
      out: '/e/adapter',
      limit: null,
    };
    const onnx = { export: '/w/.medqa/onnx/r/checkpoint-3', checkAgreement: 4 };
    assert.deepEqual(evaluateArgs({ ...input, maxNewTokens: 8, batchSize: 4, onnx }).slice(2), [
      'evaluate',
      '--engine',
      'onnx',
      '--export',
      '/w/.medqa/onnx/r/checkpoint-3',
      '--check-agreement',
      '4',
      '--data',
      '/t.jsonl',
      '--out',
      '/e/adapter',
      '--max-new-tokens',
      '8',
      '--batch-size',
      '4',
    ]);
    const unchecked = evaluateArgs({
      ...input,
      maxNewTokens: 8,
      batchSize: 4,
      onnx: { ...onnx, checkAgreement: 0 },
    });
    assert.ok(
      !unchecked.includes('--check-agreement') && !unchecked.includes('--adapter'),
      unchecked.join(' '),
    );
  });

  it('builds evaluate and compare argument arrays (contract #3)', () => {
    assert.deepEqual(
      evaluateArgs({
        model: '/m y/model',
        adapter: '/runs/r/checkpoint-3',
        data: '/x/test.jsonl',
        out: '/e/adapter',
        maxNewTokens: 8,
        batchSize: 4,
        limit: 4,
      }),
      [
        '-m',
        'medqa_trainer',
        'evaluate',
        '--model',
        '/m y/model',
        '--adapter',
        '/runs/r/checkpoint-3',
        '--data',
        '/x/test.jsonl',
        '--out',
        '/e/adapter',
        '--max-new-tokens',
        '8',
        '--batch-size',
        '4',
        '--limit',
        '4',
      ],
    );
    assert.deepEqual(
      evaluateArgs({
        model: 'Qwen/Qwen3-0.6B',
        data: 't.jsonl',
        out: 'o',
        maxNewTokens: 256,
        batchSize: 8,
        limit: null,
      }),
      [
        '-m',
        'medqa_trainer',
        'evaluate',
        '--model',
        'Qwen/Qwen3-0.6B',
        '--data',
        't.jsonl',
        '--out',
        'o',
        '--max-new-tokens',
        '256',
        '--batch-size',
        '8',
      ],
    );
    const withPenalty = { model: 'm', data: 't', out: 'o', maxNewTokens: 8, batchSize: 2, limit: null };
    assert.deepEqual(evaluateArgs({ ...withPenalty, repetitionPenalty: 1.15 }).slice(-2), [
      '--repetition-penalty',
      '1.15',
    ]);
    assert.ok(!evaluateArgs({ ...withPenalty, repetitionPenalty: 1 }).includes('--repetition-penalty'));
    assert.deepEqual(compareArgs('/e/base', '/e/adapter', '/e'), [
      '-m',
      'medqa_trainer',
      'compare',
      '--base',
      '/e/base',
      '--candidate',
      '/e/adapter',
      '--out',
      '/e',
    ]);
  });

  it('validates settings typed by a person', () => {
    assert.equal(parseWholeNumber(' 1,024 ', false), 1024);
    assert.equal(parseWholeNumber('', true), null);
    assert.equal(parseWholeNumber('', false), undefined);
    assert.equal(parseWholeNumber('0', true), undefined);
    assert.equal(parseWholeNumber('2.5', false), undefined);
    assert.equal(parseWholeNumber('-3', false), undefined);
    assert.equal(settingsProblem({ maxNewTokens: 8, batchSize: 4, limit: null }), undefined);
    assert.match(settingsProblem({ batchSize: 0 }) ?? '', /Batch size/);
    assert.match(settingsProblem({ limit: 1.5 }) ?? '', /Limit/);
    assert.equal(settingsProblem({ repetitionPenalty: 1.15 }), undefined);
    assert.match(settingsProblem({ repetitionPenalty: 0.9 }) ?? '', /Repetition penalty/);
    assert.match(settingsProblem({ repetitionPenalty: Number('x') }) ?? '', /Repetition penalty/);
  });

  it("quotes the evaluator's own explanation of a failure", () => {
    const tail = [
      'Loading weights',
      'error: /d/test.jsonl cannot be evaluated (1 problem(s)):',
      '/d/test.jsonl:3: not valid JSON',
    ];
    assert.equal(
      failureText({ code: 2, signal: null, cancelled: false, stderrTail: tail }),
      '/d/test.jsonl cannot be evaluated (1 problem(s)):\n/d/test.jsonl:3: not valid JSON',
    );
    assert.match(
      failureText({ code: null, signal: 'SIGKILL', cancelled: false, stderrTail: [] }),
      /killed \(SIGKILL\)/,
    );
  });
});

describe('evaluation: folders', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-evaluation-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names evaluation folders by time and never reuses one', async () => {
    const now = new Date(2026, 0, 31, 14, 25, 1);
    assert.equal(evaluationFolderName(now), '20260131-142501');
    const first = await createEvaluationFolder(path.join(root, 'run-a'), now);
    const second = await createEvaluationFolder(path.join(root, 'run-a'), now);
    assert.equal(first, path.join(root, 'run-a', 'evaluations', '20260131-142501'));
    assert.equal(second, `${first}-2`);
    assert.equal(runDirOfEvaluation(second), path.join(root, 'run-a'));
    assert.equal(runDirOfEvaluation(root), undefined);
  });

  it('lists evaluations of every run, newest first, skipping folders without results', async () => {
    const older = path.join(root, 'run-a', 'evaluations', '20260115-101500');
    cpSync(sample, older, { recursive: true });
    const newer = await createEvaluationFolder(path.join(root, 'run-b'));
    writeFileSync(
      path.join(newer, 'evaluation.json'),
      JSON.stringify({
        format: 'medqa-evaluation',
        version: 1,
        createdAt: '2030-01-01T00:00:00Z',
        checkpoint: '/c',
        settings: {},
      }),
    );
    mkdirSync(path.join(root, 'run-b', 'evaluations', 'empty-folder'));
    const entries = await listEvaluations([
      path.join(root, 'run-a'),
      path.join(root, 'run-b'),
      path.join(root, 'no-such-run'),
    ]);
    assert.deepEqual(
      entries.map((e) => [e.runName, e.name]),
      [
        ['run-b', path.basename(newer)],
        ['run-a', '20260115-101500'],
      ],
    );
  });

  it('shows what can be read when one side is broken, and lists the problems with lines', async () => {
    const dir = path.join(root, 'run-a', 'evaluations', 'e1');
    cpSync(sample, dir, { recursive: true });
    rmSync(path.join(dir, 'comparison.json'));
    const metrics = path.join(dir, 'base', 'metrics.json');
    writeFileSync(metrics, readFileSync(metrics, 'utf8').replace('"n": 6,', '"n": 6,,'));
    const summary = await loadEvaluation(dir);
    assert.equal(summary.title, 'run-a · e1');
    assert.equal(summary.sides.base, null);
    assert.equal(summary.sides.adapter?.n, 6);
    assert.equal(summary.overall.find((r) => r.metric === 'f1')?.adapter?.value !== null, true);
    assert.equal(summary.problems.length, 1);
    assert.match(
      summary.problems[0],
      new RegExp(`^${metrics.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: not valid JSON`),
    );
    assert.ok(summary.notes.some((n) => /Only the fine-tuned model/.test(n)));
  });
});

describe('evaluation: running an evaluation', function () {
  this.timeout(20_000);
  let root: string;
  let python: string;
  let calls: string;
  let plan: EvaluationPlan;

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medqa-evaluation-run-'));
    python = path.join(root, 'fake-python');
    writeFileSync(python, `#!${process.execPath}\n${FAKE_EVALUATOR}`);
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
      testFile: path.join(root, 'test.jsonl'),
      settings: { maxNewTokens: 8, batchSize: 4, limit: 4, evaluateBase: true },
      graceMs: 5000,
    };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const commands = () =>
    readFileSync(calls, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as string[]).slice(2, 3)[0]);

  it('evaluates the adapter, then the base model, then compares; records the outcome', async () => {
    const stages: string[] = [];
    const progress: string[] = [];
    const outcome = await runEvaluation(plan, {
      onStage: (stage) => stages.push(stage.kind === 'evaluate' ? stage.side : stage.kind),
      onProgress: (side, done, total) => progress.push(`${side} ${done}/${total}`),
    });
    assert.deepEqual(outcome, { status: 'finished' });
    assert.deepEqual(stages, ['adapter', 'base', 'compare']);
    assert.deepEqual(commands(), ['evaluate', 'evaluate', 'compare']);
    assert.ok(progress.includes('adapter 6/6') && progress.includes('base 6/6'), progress.join(', '));
    const record = await readEvaluationRecord(plan.evaluationDir);
    assert.equal(record?.status, 'finished');
    assert.equal(record?.baseModel, '/models/tiny');
    const summary = await loadEvaluation(plan.evaluationDir);
    assert.equal(summary.paired, true);
    assert.equal(summary.checkpoint, plan.checkpoint);
    assert.deepEqual(evaluationStages({ ...plan.settings, evaluateBase: false }), [
      { kind: 'evaluate', side: 'adapter' },
    ]);
  });

  it('an ONNX Runtime evaluation generates each side on its export, checks one batch, records the exports', async () => {
    const exports = {
      adapter: path.join(root, 'onnx', 'checkpoint-3'),
      base: path.join(root, 'onnx', 'base'),
    };
    const outcome = await runEvaluation({ ...plan, settings: { ...plan.settings, engine: 'onnx' }, exports });
    assert.deepEqual(outcome, { status: 'finished' });
    const evaluateCalls = readFileSync(calls, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as string[])
      .filter((args) => args[2] === 'evaluate');
    const optionOf = (args: string[], name: string) => args[args.indexOf(name) + 1];
    assert.deepEqual(
      evaluateCalls.map((args) => [
        optionOf(args, '--engine'),
        optionOf(args, '--export'),
        path.basename(optionOf(args, '--out')),
      ]),
      [
        ['onnx', exports.adapter, 'adapter'],
        ['onnx', exports.base, 'base'],
      ],
    );
    for (const args of evaluateCalls) {
      assert.equal(optionOf(args, '--check-agreement'), '4');
      assert.ok(!args.includes('--model') && !args.includes('--adapter'), args.join(' '));
    }
    const record = await readEvaluationRecord(plan.evaluationDir);
    assert.equal(record?.settings.engine, 'onnx');
    assert.deepEqual(record?.exports, exports);
    const missing = await runEvaluation({ ...plan, settings: { ...plan.settings, engine: 'onnx' } });
    assert.equal(missing.status, 'failed');
    assert.match(missing.error ?? '', /needs the ONNX exports/);
  });

  it("stops with the evaluator's message (file and lines) when the test data is bad", async () => {
    plan.env.FAKE_MODE = 'bad-data';
    const outcome = await runEvaluation(plan);
    assert.equal(outcome.status, 'failed');
    assert.match(
      outcome.error ?? '',
      /^Evaluating the adapter failed: .*test\.jsonl cannot be evaluated \(2 problem\(s\)\):\n.*test\.jsonl:3: not valid JSON/,
    );
    assert.match(outcome.error ?? '', /test\.jsonl:7: messages must/);
    assert.deepEqual(commands(), ['evaluate'], 'nothing runs after a failure');
    assert.equal((await readEvaluationRecord(plan.evaluationDir))?.status, 'failed');
  });

  it('cancelling sends SIGTERM, keeps what was generated and skips the remaining steps', async () => {
    plan.env.FAKE_MODE = 'slow';
    const abort = new AbortController();
    const outcome = await runEvaluation(plan, {
      signal: abort.signal,
      onProgress: (_side, done) => done === 3 && abort.abort(),
    });
    assert.equal(outcome.status, 'cancelled');
    assert.deepEqual(commands(), ['evaluate']);
    assert.ok(
      existsSync(path.join(plan.evaluationDir, 'adapter', 'metrics.json')),
      'the cancelled side wrote its metrics',
    );
    const summary = await loadEvaluation(plan.evaluationDir);
    assert.equal(summary.status, 'cancelled');
    assert.equal(summary.sides.adapter?.n, 6);
  });
});
