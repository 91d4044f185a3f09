import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  isEvaluationFolder,
  listEvaluations,
  readEvaluationRecord,
} from '../../../src/evaluation/evaluationFolder';
import { readPredictions } from '../../../src/evaluation/predictionsFile';
import { loadGradedEvaluation } from '../../../src/grading/gradedEvaluation';
import { applyEvent, columnStats, idleColumn } from '../../../src/inference/playgroundColumns';
import {
  decodingHash,
  playgroundEvaluationDir,
  playgroundHome,
  saveExchange,
  type PlaygroundExchange,
} from '../../../src/inference/playgroundRecord';

function exchange(root: string, overrides: Partial<PlaygroundExchange> = {}): PlaygroundExchange {
  const answer = (text: string) => ({
    text,
    tokenCount: 12,
    reason: 'eos' as const,
    timeToFirstTokenMs: 80,
    tokensPerSecond: 40,
    exportDir: path.join(root, '.medqa', 'onnx', 'x'),
  });
  return {
    question: 'What causes measles?',
    pair: { id: '9_CDC_QA/0000201/1', qtype: 'causes', reference: 'Measles is caused by a virus.' },
    decoding: { maxNewTokens: 16, temperature: 0, topP: 0.9, seed: 42 },
    answers: { base: answer('A bacterium.'), adapter: answer('Measles is caused by the measles virus.') },
    runDir: path.join(root, '.medqa', 'runs', 'tiny-run'),
    checkpoint: path.join(root, '.medqa', 'runs', 'tiny-run', 'checkpoint-3'),
    model: '/tools/tiny-qwen3',
    at: new Date('2026-11-29T12:00:00Z'),
    ...overrides,
  };
}

describe('playground: Save for grading writes an evaluation the grading feature reads', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medqa-playground-save-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('appends each exchange to both sides under one fresh id, in the predictions format', async () => {
    const first = await saveExchange(root, exchange(root));
    const second = await saveExchange(root, exchange(root, { pair: null, question: 'Is it contagious?' }));
    const dir = playgroundEvaluationDir(root, 'tiny-run', 'checkpoint-3');
    assert.equal(first.dir, dir);
    assert.equal(path.dirname(path.dirname(dir)), playgroundHome(root, 'tiny-run', 'checkpoint-3'));
    assert.equal(first.id, 'playground-20261129-120000');
    assert.equal(second.id, 'playground-20261129-120000-2');

    for (const side of ['base', 'adapter'] as const) {
      const { value: rows, problems } = await readPredictions(path.join(dir, side, 'predictions.jsonl'));
      assert.deepEqual(problems, []);
      assert.deepEqual(
        rows.map((r) => r.id),
        [first.id, second.id],
      );
      assert.equal(rows[0].reference, 'Measles is caused by a virus.');
      assert.equal(rows[0].qtype, 'causes');
      assert.equal(rows[1].reference, '', 'a typed question has no reference');
      assert.equal(
        rows[0].decodingHash,
        decodingHash({ maxNewTokens: 16, temperature: 0, topP: 0.9, seed: 42 }),
      );
    }
    const record = await readEvaluationRecord(dir);
    assert.equal(record?.checkpoint, path.join(root, '.medqa', 'runs', 'tiny-run', 'checkpoint-3'));
    assert.equal(record?.baseModel, '/tools/tiny-qwen3');
    assert.ok(isEvaluationFolder(dir));

    // The grading feature sees the run, the checkpoint and both answers of each exchange.
    const graded = await loadGradedEvaluation(dir);
    assert.deepEqual(graded.problems, []);
    assert.equal(graded.run, 'tiny-run');
    assert.equal(graded.checkpoint, 'checkpoint-3');
    assert.deepEqual(graded.sides.sort(), ['adapter', 'base']);
    assert.equal(graded.examples[0].answers.adapter?.text, 'Measles is caused by the measles virus.');
    assert.equal(graded.examples[0].answers.base?.text, 'A bacterium.');

    // And the evaluation pickers list it from its home.
    const listed = await listEvaluations([playgroundHome(root, 'tiny-run', 'checkpoint-3')]);
    assert.deepEqual(
      listed.map((e) => e.dir),
      [dir],
    );
  });

  it('finishes a line torn by a crash before appending, so no saved exchange is lost', async () => {
    await saveExchange(root, exchange(root));
    const file = path.join(
      playgroundEvaluationDir(root, 'tiny-run', 'checkpoint-3'),
      'adapter',
      'predictions.jsonl',
    );
    const { appendFileSync } = await import('node:fs');
    appendFileSync(file, '{"id": "torn');
    const saved = await saveExchange(root, exchange(root));
    const { value: rows, problems } = await readPredictions(file);
    assert.deepEqual(
      rows.map((r) => r.id),
      ['playground-20261129-120000', saved.id],
    );
    assert.equal(problems.length, 1, 'the torn line is reported, not merged');
    assert.ok(readFileSync(file, 'utf8').endsWith('\n'));
  });

  it('saves two exchanges at once under two ids (the lock)', async () => {
    const saved = await Promise.all([saveExchange(root, exchange(root)), saveExchange(root, exchange(root))]);
    assert.notEqual(saved[0].id, saved[1].id);
  });

  it('different decoding settings give different hashes (grades do not carry over)', () => {
    const a = decodingHash({ maxNewTokens: 16, temperature: 0, topP: 0.9, seed: 42 });
    assert.equal(a, decodingHash({ maxNewTokens: 16, temperature: 0, topP: 0.9, seed: 42 }));
    assert.notEqual(a, decodingHash({ maxNewTokens: 16, temperature: 0.7, topP: 0.9, seed: 42 }));
  });
});

describe('playground: a column follows the engine events', () => {
  it('appends streamed pieces and takes the final text and stats when finished', () => {
    let column = applyEvent(idleColumn(), { kind: 'loading', exportDir: '/x' });
    assert.equal(column.status, 'loading');
    column = applyEvent(column, { kind: 'started', promptTokens: 9 });
    column = applyEvent(column, { kind: 'token', text: 'Measles ', tokenCount: 1 });
    column = applyEvent(column, { kind: 'token', text: 'is', tokenCount: 2 });
    assert.equal(column.text, 'Measles is');
    assert.equal(columnStats(column), '2 tokens…');
    column = applyEvent(column, {
      kind: 'finished',
      reason: 'length',
      text: 'Measles is',
      tokenCount: 2,
      timeToFirstTokenMs: 120.4,
      tokensPerSecond: 33.33,
    });
    assert.equal(column.status, 'finished');
    assert.equal(
      columnStats(column),
      '33.3 tokens/s · first token after 120 ms · 2 tokens · stopped at the token limit',
    );
    const failed = applyEvent(column, { kind: 'error', message: 'model.onnx is missing' });
    assert.equal(failed.status, 'error');
    assert.equal(failed.error, 'model.onnx is missing');
  });
});
