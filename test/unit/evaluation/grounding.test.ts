import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseMetrics, readComparison, readMetrics } from '../../../src/evaluation/evaluationFiles';
import {
  formatMetric,
  GROUNDING_NOTE,
  higherIsBetter,
  metricTitle,
  orderMetrics,
} from '../../../src/evaluation/format';
import { buildTables } from '../../../src/evaluation/tables';
import type { EvaluationSummary } from '../../../src/protocol/metricsPanel';
import { overallTableHtml } from '../../../webviews/metrics/tables';
import { fixturesDir } from '../../support/paths';

/** The trainer's own output (score + compare) for a closed-book base and a retrieval adapter: see the README. */
const run = path.join(fixturesDir, 'evaluation', 'grounding-run');
const older = path.join(fixturesDir, 'evaluation', 'sample-run', 'evaluations', '20260115-101500');

async function sides() {
  const base = await readMetrics(path.join(run, 'base', 'metrics.json'));
  const adapter = await readMetrics(path.join(run, 'adapter', 'metrics.json'));
  const comparison = await readComparison(path.join(run, 'comparison.json'));
  assert.deepEqual([...base.problems, ...adapter.problems, ...comparison.problems], []);
  return { base: base.value, adapter: adapter.value, comparison: comparison.value };
}

describe('evaluation: grounding measures (issue 18)', () => {
  it('reads metrics.json grounding into the overall and per-qtype metrics of each side', async () => {
    const { base, adapter } = await sides();
    assert.ok(base && adapter);
    // Closed-book: no passages, so no citation measures.
    assert.deepEqual(
      Object.keys(base.overall).filter((m) => !(m in adapter.overall)),
      [],
    );
    assert.equal(base.overall.citation_valid, undefined);
    assert.equal(base.overall.fabrication.value, 15); // 3 claims in 20 words, as the pytest computes
    assert.equal(adapter.overall.fabrication.value, 0);
    assert.equal(adapter.overall.citation_valid.value, 0.75); // one answer cites a missing [7] of 2 passages
    assert.equal(adapter.overall.citing.value, 1);
    assert.ok(adapter.byQtype.information.metrics.support.value === 1);
    const [low, high] = base.overall.support.ci;
    assert.ok(low !== null && high !== null && low <= 0.4 && 0.4 <= high);
  });

  it('keeps reading files written before the grounding measures, without problems', async () => {
    const { value, problems } = await readMetrics(path.join(older, 'base', 'metrics.json'));
    assert.deepEqual(problems, []);
    assert.ok(value);
    assert.equal(value.overall.support, undefined);
    assert.deepEqual(Object.keys(value.overall), ['exact_match', 'f1', 'bleu', 'rouge_l', 'meteor']);
  });

  it('reports a broken grounding entry by line and keeps the rest', () => {
    const text = readFileSync(path.join(run, 'adapter', 'metrics.json'), 'utf8');
    const document = JSON.parse(text) as {
      overall: { f1: { value: number } };
      grounding: { overall: Record<string, unknown>; by_qtype: unknown };
    };
    document.grounding.overall.support = { value: 'high', ci: [0, 1] };
    document.grounding.by_qtype = 'none';
    const broken = JSON.stringify(document, null, 2);
    const { value, problems } = parseMetrics(broken, 'metrics.json');
    assert.ok(value);
    assert.equal(value.overall.support, undefined);
    assert.equal(value.overall.fabrication.value, 0);
    assert.equal(value.overall.f1.value, document.overall.f1.value);
    const line = broken.split('\n').findIndex((l) => l.includes('"high"')) + 1;
    assert.deepEqual(problems, [
      `metrics.json:${line}: grounding.overall.support.value must be a number or null, got string`,
      `metrics.json:${broken.split('\n').findIndex((l) => l.includes('"by_qtype": "none"')) + 1}: grounding.by_qtype must be an object, got string`,
    ]);
    const notAnObject = parseMetrics(JSON.stringify({ ...document, grounding: 3 }), 'm.json');
    assert.deepEqual(notAnObject.problems, ['m.json:1: grounding must be an object, got number']);
    assert.equal(notAnObject.value?.overall.f1.value, document.overall.f1.value);
  });

  it('pairs them from comparison.json, with fewer fabrications as better', async () => {
    const { base, adapter, comparison } = await sides();
    const tables = buildTables(base, adapter, comparison);
    assert.deepEqual(
      tables.metrics.slice(-3),
      ['support', 'fabrication', 'fabrication_count'],
      'after the text metrics; citations only on one side, so not paired',
    );
    const fabrication = tables.overall.find((r) => r.metric === 'fabrication');
    assert.ok(fabrication?.pValue !== null && fabrication?.pValue !== undefined && fabrication.pValue < 0.05);
    assert.equal(fabrication.absoluteChange, -15);
    assert.equal(fabrication.verdict, 'better', 'a drop in fabrication is an improvement');
    assert.equal(tables.overall.find((r) => r.metric === 'support')?.verdict, 'better');
    assert.equal(higherIsBetter('fabrication'), false);
    assert.equal(comparison?.higherIsBetter.fabrication, false);
    // Without comparison.json each side keeps its own values, the retrieval side its citation rows.
    const unpaired = buildTables(base, adapter, null);
    const citation = unpaired.overall.find((r) => r.metric === 'citation_valid');
    assert.deepEqual([citation?.base, citation?.adapter?.value], [null, 0.75]);
  });

  it('labels them as proxies in the overall table', async () => {
    const { base, adapter, comparison } = await sides();
    const tables = buildTables(base, adapter, comparison);
    const summary = { ...tables, hygiene: [], notes: [], problems: [] } as unknown as EvaluationSummary;
    const html = overallTableHtml(summary);
    assert.ok(html.includes(GROUNDING_NOTE.replace(/'/g, '&#39;')) || html.includes(GROUNDING_NOTE));
    assert.match(html, /<th scope="row" title="lower is better\. Names, numbers/);
    assert.match(html, /Fabrication proxy \(per 100 words\)/);
    assert.ok(metricTitle('support').includes('not truth'));
    assert.equal(metricTitle('f1'), 'higher is better');
    assert.equal(formatMetric('fabrication', 3.456), '3.46');
    assert.equal(formatMetric('support', 0.41234), '0.412');
    assert.deepEqual(orderMetrics(['fabrication', 'extra', 'support', 'f1']), [
      'f1',
      'support',
      'fabrication',
      'extra',
    ]);
  });
});
