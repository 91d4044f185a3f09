import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  parseComparison,
  parseMetrics,
  readComparison,
  readMetrics,
} from '../../../src/evaluation/evaluationFiles';
import { parsePredictions, readPredictions } from '../../../src/evaluation/predictionsFile';
import { JsonSyntaxError, parseLocatedJson } from '../../../src/evaluation/jsonDocument';
import { fixturesDir } from '../../support/paths';

const sample = path.join(fixturesDir, 'evaluation', 'sample-run', 'evaluations', '20260115-101500');
const evaluated = path.join(fixturesDir, 'evaluation', 'evaluate-output');

describe('evaluation: located JSON', () => {
  it('parses like JSON.parse and knows the line of every value', () => {
    const text = '{\n  "a": 1,\n  "b": {\n    "c": [1,\n      {"d": null}]\n  },\n  "e": "x\\"y"\n}\n';
    const doc = parseLocatedJson(text);
    assert.deepEqual(doc.value, JSON.parse(text));
    assert.equal(doc.lineOf(['a']), 2);
    assert.equal(doc.lineOf(['b']), 3);
    assert.equal(doc.lineOf(['b', 'c', 1, 'd']), 5);
    assert.equal(doc.lineOf(['e']), 7);
    // A missing key is reported at its nearest existing parent.
    assert.equal(doc.lineOf(['b', 'missing', 'deeper']), 3);
  });

  it('reports syntax errors with line and column', () => {
    const cases: [string, number, RegExp][] = [
      ['{\n  "a": 1\n  "b": 2\n}', 3, /expected ',' or '}'/],
      ['{\n  "a": [1, 2\n', 3, /end of file/],
      ['{\n  "a": NaN\n}', 2, /NaN is not valid JSON/],
      ['{"a": 1} trailing', 1, /after the JSON value/],
      ["{\n 'a': 1}", 2, /property name/],
    ];
    for (const [text, line, message] of cases) {
      assert.throws(
        () => parseLocatedJson(text),
        (error: unknown) =>
          error instanceof JsonSyntaxError && error.line === line && message.test(error.message),
        text,
      );
    }
  });
});

describe('evaluation: predictions.jsonl reader', () => {
  it('reads the real evaluator output with scores and hygiene flags', async () => {
    const { value, problems } = await readPredictions(path.join(sample, 'base', 'predictions.jsonl'));
    assert.deepEqual(problems, []);
    assert.equal(value.length, 6);
    const echoed = value.find((r) => r.id === '9_CDC_QA/0000201/1');
    assert.ok(echoed);
    assert.deepEqual(echoed.hygiene, ['role_markers', 'prompt_echo']);
    assert.equal(typeof echoed.scores.f1, 'number');
    assert.equal(echoed.qtype, 'information');
    assert.equal(echoed.line, 1);
  });

  it('keeps every good row and names each bad line with its number and what is wrong', () => {
    const lines = [
      JSON.stringify({ id: 'a', reference: 'r', prediction: 'p', qtype: 'symptoms' }),
      '{"id": "b", "reference": "r", "prediction": ', // torn line
      '',
      JSON.stringify({ id: 'c', reference: 'r' }),
      JSON.stringify([1, 2]),
      JSON.stringify({ id: 'd', reference: 5, prediction: 'p' }),
      JSON.stringify({ id: 'a', reference: 'r', prediction: 'again' }),
      JSON.stringify({ reference: 'no id', prediction: 'p', scores: { f1: 12.5, bleu: 'bad' } }),
    ];
    const { value, problems } = parsePredictions(lines.join('\n') + '\n', 'preds.jsonl');
    assert.deepEqual(
      value.map((r) => r.id),
      ['a', 'line-8'],
    );
    assert.deepEqual(value[1].scores, { f1: 12.5 }, 'a non-numeric score is dropped, not the row');
    assert.equal(problems.length, 5);
    assert.match(problems[0], /^preds\.jsonl:2: not valid JSON/);
    assert.equal(problems[1], "preds.jsonl:4: missing field 'prediction'");
    assert.equal(problems[2], 'preds.jsonl:5: expected a JSON object, got array');
    assert.equal(problems[3], "preds.jsonl:6: 'reference' must be a string, got number");
    assert.equal(problems[4], "preds.jsonl:7: duplicate id 'a' (first on line 1)");
  });

  it('says so for an empty or missing file', async () => {
    assert.deepEqual(parsePredictions('\n\n', 'x.jsonl').problems, [
      'x.jsonl: no predictions (the file is empty)',
    ]);
    const missing = await readPredictions(path.join(sample, 'nowhere', 'predictions.jsonl'));
    assert.match(missing.problems[0], /no such file$/);
  });

  it('reads a file that starts with a byte order mark', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'medqa-bom-'));
    try {
      const file = path.join(dir, 'predictions.jsonl');
      const original = readFileSync(path.join(sample, 'adapter', 'predictions.jsonl'));
      writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), original]));
      const { value, problems } = await readPredictions(file);
      assert.deepEqual(problems, []);
      assert.equal(
        value.length,
        (await readPredictions(path.join(sample, 'adapter', 'predictions.jsonl'))).value.length,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('evaluation: metrics.json and comparison.json readers', () => {
  it('reads metrics.json from score and from evaluate', async () => {
    const scored = await readMetrics(path.join(sample, 'adapter', 'metrics.json'));
    assert.deepEqual(scored.problems, []);
    assert.ok(scored.value);
    assert.equal(scored.value.n, 6);
    assert.deepEqual(Object.keys(scored.value.overall), ['exact_match', 'f1', 'bleu', 'rouge_l', 'meteor']);
    assert.equal(scored.value.byQtype.information.n, 2);
    assert.equal(scored.value.hygiene?.checked, 6);

    const fromModel = await readMetrics(path.join(evaluated, 'metrics.json'));
    assert.deepEqual(fromModel.problems, []);
    assert.ok(fromModel.value);
    assert.ok(fromModel.value.overall.perplexity.value! > 1);
    assert.equal(fromModel.value.decoding?.max_new_tokens, 8);
    assert.equal(fromModel.value.total, 4);
    assert.equal(fromModel.value.cancelled, false);
    assert.equal(fromModel.value.runtime?.device, 'cpu');
  });

  it('reports missing and mistyped fields with their lines and keeps the rest', () => {
    const original = JSON.parse(readFileSync(path.join(sample, 'adapter', 'metrics.json'), 'utf8'));
    delete original.overall.f1.ci;
    original.overall.bleu.value = 'high';
    delete original.by_qtype.symptoms.n;
    const text = JSON.stringify(original, null, 2);
    const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    const { value, problems } = parseMetrics(text, 'metrics.json');
    assert.ok(value, 'the readable parts survive');
    assert.deepEqual(Object.keys(value.overall), ['exact_match', 'rouge_l', 'meteor']);
    assert.ok(!('symptoms' in value.byQtype));
    assert.ok('information' in value.byQtype);
    assert.deepEqual(problems, [
      `metrics.json:${lineOf('"f1"')}: overall.f1.ci is missing`,
      `metrics.json:${lineOf('"high"')}: overall.bleu.value must be a number or null, got string`,
      `metrics.json:${lineOf('"symptoms"')}: by_qtype.symptoms.n is missing`,
    ]);
  });

  it('refuses another format or version, and reports a syntax error by line', () => {
    const other = parseMetrics('{\n  "format": "something-else",\n  "version": 1\n}', 'm.json');
    assert.equal(other.value, null);
    assert.deepEqual(other.problems, ['m.json:2: format is "something-else", expected "medqa-eval-metrics"']);
    const newer = parseMetrics('{"format": "medqa-eval-metrics", "version": 2}', 'm.json');
    assert.match(newer.problems[0], /version is 2; this MedQA Studio reads version 1/);
    const broken = parseMetrics('{\n  "format": "medqa-eval-metrics",\n  "n": 4,,\n}', 'm.json');
    assert.equal(broken.value, null);
    assert.match(broken.problems[0], /^m\.json:3: not valid JSON/);
  });

  it('reads comparison.json with paired entries per metric and per qtype', async () => {
    const { value, problems } = await readComparison(path.join(sample, 'comparison.json'));
    assert.deepEqual(problems, []);
    assert.ok(value);
    assert.equal(value.n, 6);
    assert.equal(value.higherIsBetter.perplexity, false);
    const f1 = value.metrics.f1;
    assert.ok(f1.candidate! > f1.base!);
    assert.ok(Math.abs(f1.absoluteChange! - (f1.candidate! - f1.base!)) < 1e-9);
    assert.ok(f1.pValue! < 0.05);
    assert.deepEqual(Object.keys(value.byQtype).sort(), [
      'causes',
      'information',
      'prevention',
      'symptoms',
      'treatment',
    ]);
    const broken = parseComparison(
      JSON.stringify(
        { format: 'medqa-eval-comparison', version: 1, n: 2, metrics: { f1: { base: 1 } }, by_qtype: {} },
        null,
        2,
      ),
      'c.json',
    );
    assert.deepEqual(broken.value?.metrics, {});
    assert.ok(
      broken.problems.some((p) => /^c\.json:\d+: metrics\.f1\.candidate is missing$/.test(p)),
      broken.problems.join('\n'),
    );
  });
});
