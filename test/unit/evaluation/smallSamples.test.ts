import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { parseComparison, parseMetrics } from '../../../src/evaluation/evaluationFiles';
import { MIN_PAIRS_FOR_P_VALUE, pValueCell } from '../../../src/evaluation/format';
import { buildTables } from '../../../src/evaluation/tables';
import type { EvaluationSummary } from '../../../src/protocol/metricsPanel';
import { overallTableHtml, qtypeTableHtml, DEFAULT_SORT } from '../../../webviews/metrics/tables';

const folder = path.resolve('/work/space/.medqa/runs/r1/evaluations/e1');
const file = path.join(folder, 'comparison.json');

function entry(p: number | null) {
  return { base: 0, candidate: 100, absolute_change: 100, relative_change: null, ci: [90, 100], p_value: p };
}

/** A comparison.json as written before the trainer withheld small-group p-values (issue 22): p < 0.001 for 3 pairs. */
function comparisonText(n: number, groups: Record<string, number>): string {
  return JSON.stringify({
    format: 'medqa-eval-comparison',
    version: 1,
    base: { dir: './base', model: 'HuggingFaceTB/SmolLM2-135M-Instruct', adapter: null, n },
    candidate: {
      dir: './adapter',
      model: '/opt/models/smollm2',
      adapter: '../../checkpoints/checkpoint-10',
      n,
    },
    predictions: 'prediction',
    n,
    only_in_base: 0,
    only_in_candidate: 0,
    metrics: { exact_match: entry(0.0009) },
    by_qtype: Object.fromEntries(
      Object.entries(groups).map(([qtype, count]) => [
        qtype,
        { n: count, metrics: { exact_match: entry(0.0009) } },
      ]),
    ),
    higher_is_better: { exact_match: true },
  });
}

function summary(n: number, groups: Record<string, number>): EvaluationSummary {
  const { value, problems } = parseComparison(comparisonText(n, groups), file);
  assert.deepEqual(problems, []);
  const tables = buildTables(null, null, value);
  return { ...tables, hygiene: [], notes: [], problems: [] } as unknown as EvaluationSummary;
}

describe('evaluation: no p-value below 10 pairs (issue 22, item 6)', () => {
  it('drops the p-value and verdict of groups under 10 pairs, keeping the change and its interval', () => {
    const tables = summary(20, { symptoms: 3, treatment: 5, causes: 12 });
    const row = (qtype: string) => tables.byQtype.find((g) => g.qtype === qtype)?.rows.exact_match;
    for (const qtype of ['symptoms', 'treatment']) {
      assert.equal(row(qtype)?.pValue, null);
      assert.equal(row(qtype)?.verdict, null);
      assert.equal(row(qtype)?.absoluteChange, 100);
      assert.deepEqual(row(qtype)?.changeCi, [90, 100]);
    }
    assert.equal(row('causes')?.pValue, 0.0009);
    assert.equal(row('causes')?.verdict, 'better');
    assert.equal(tables.overall[0].pValue, 0.0009);
  });

  it('says "n < 10" in the p column, with the reason, instead of a p-value', () => {
    const html = qtypeTableHtml(summary(20, { symptoms: 3, causes: 12 }), 'exact_match', DEFAULT_SORT);
    const symptoms = /<tr data-qtype="symptoms">.*?<\/tr>/.exec(html)?.[0] ?? '';
    const causes = /<tr data-qtype="causes">.*?<\/tr>/.exec(html)?.[0] ?? '';
    assert.match(symptoms, /title="fewer than 10 pairs: no p-value">n &lt; 10<\/td>/);
    assert.match(causes, />&lt; 0\.001<\/td>/);
    assert.match(html, /groups of fewer than 10 pairs get no p-value/);
    assert.deepEqual(pValueCell(0.2, MIN_PAIRS_FOR_P_VALUE), { text: '0.200' });
  });

  it('keeps the p column of a small paired table and explains it in the caption', () => {
    const html = overallTableHtml(summary(4, { symptoms: 4 }));
    assert.match(html, /<th scope="col" class="num">p<\/th>/);
    assert.match(html, /n &lt; 10<\/td>/);
    assert.match(html, /With fewer than 10 pairs there is no p-value and no verdict\./);
    assert.doesNotMatch(html, /&lt; 0\.001/);
  });
});

describe('evaluation: paths in result files are relative to the file (issue 22, adversary 9)', () => {
  it('resolves ./ and ../ against the file’s folder and keeps hub ids and absolute paths', () => {
    const { value } = parseComparison(comparisonText(20, {}), file);
    assert.ok(value);
    assert.equal(value.base.dir, path.join(folder, 'base'));
    assert.equal(value.candidate.dir, path.join(folder, 'adapter'));
    assert.equal(value.candidate.adapter, path.resolve(folder, '../../checkpoints/checkpoint-10'));
    assert.equal(value.base.model, 'HuggingFaceTB/SmolLM2-135M-Instruct');
    assert.equal(value.candidate.model, '/opt/models/smollm2');
  });

  it('reads metrics.json model and adapter the same way', () => {
    const metricsFile = path.join(folder, 'adapter', 'metrics.json');
    const text = JSON.stringify({
      format: 'medqa-eval-metrics',
      version: 1,
      n: 1,
      overall: { f1: { value: 50, ci: [null, null] } },
      by_qtype: {},
      model: '../../../../../models/local',
      adapter: '../../../checkpoints/checkpoint-10',
    });
    const { value, problems } = parseMetrics(text, metricsFile);
    assert.deepEqual(problems, []);
    assert.equal(value?.adapter, path.resolve(folder, '../../checkpoints/checkpoint-10'));
    assert.equal(value?.model, path.resolve('/work/space/.medqa/models/local'));
  });
});
