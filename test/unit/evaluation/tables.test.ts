import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  readComparison,
  readMetrics,
  type MetricsDocument,
  type PairedEntry,
} from '../../../src/evaluation/evaluationFiles';
import {
  formatChange,
  formatInterval,
  formatMetric,
  formatPValue,
  formatRelative,
  orderMetrics,
  sortQtypeRows,
} from '../../../src/evaluation/format';
import {
  absoluteChange,
  buildTables,
  pairedRow,
  relativeChange,
  unpairedRow,
  verdict,
} from '../../../src/evaluation/tables';
import type { QtypeRows } from '../../../src/protocol/metricsPanel';
import { fixturesDir } from '../../support/paths';
import { compareCells } from '../../../src/util/tableText';

const sample = path.join(fixturesDir, 'evaluation', 'sample-run', 'evaluations', '20260115-101500');

function metrics(
  overall: MetricsDocument['overall'],
  byQtype: MetricsDocument['byQtype'] = {},
  n = 10,
): MetricsDocument {
  return {
    n,
    total: n,
    cancelled: false,
    overall,
    byQtype,
    hygiene: null,
    model: null,
    adapter: null,
    decoding: null,
    runtime: null,
  };
}

const v = (value: number | null, low: number | null = null, high: number | null = null) => ({
  value,
  ci: [low, high] as [number | null, number | null],
});

describe('evaluation: comparison table math', () => {
  it('computes absolute and relative change, undefined relative change for a zero base', () => {
    assert.equal(absoluteChange(40, 50), 10);
    assert.equal(absoluteChange(null, 50), null);
    assert.equal(relativeChange(40, 50), 0.25);
    assert.equal(relativeChange(50, 40), -0.2);
    assert.equal(relativeChange(0, 5), null);
    assert.equal(relativeChange(12, null), null);
  });

  it('decides better/worse from the p-value and the direction of the metric', () => {
    assert.equal(verdict('f1', 5, 0.01), 'better');
    assert.equal(verdict('f1', -5, 0.01), 'worse');
    assert.equal(verdict('f1', 5, 0.2), 'no-difference');
    assert.equal(verdict('f1', 5, 0.05), 'no-difference', 'p must be below 0.05');
    // Perplexity: lower is better, so a drop is an improvement.
    assert.equal(verdict('perplexity', -3, 0.001), 'better');
    assert.equal(verdict('perplexity', 3, 0.001), 'worse');
    // comparison.json's higher_is_better wins over the built-in table.
    assert.equal(verdict('custom', 3, 0.001, { custom: false }), 'worse');
    assert.equal(verdict('f1', 5, null), null);
  });

  it('builds unpaired rows from two metrics files: changes, each side keeps its own interval', () => {
    const row = unpairedRow('f1', v(40, 35, 45), v(50, 44, 56));
    assert.deepEqual(row, {
      metric: 'f1',
      base: v(40, 35, 45),
      adapter: v(50, 44, 56),
      absoluteChange: 10,
      relativeChange: 0.25,
      changeCi: null,
      pValue: null,
      verdict: null,
    });
    const onlyAdapter = unpairedRow('bleu', undefined, v(12));
    assert.equal(onlyAdapter.base, null);
    assert.equal(onlyAdapter.absoluteChange, null);
  });

  it('builds paired rows from comparison.json, taking side intervals only when the values match', () => {
    const entry: PairedEntry = {
      base: 40,
      candidate: 50,
      absoluteChange: 10,
      relativeChange: 0.25,
      ci: [4, 16],
      pValue: 0.002,
    };
    const row = pairedRow('f1', entry, v(40, 35, 45), v(49, 44, 56));
    assert.deepEqual(row.base, v(40, 35, 45));
    // 49 ≠ 50: the metrics file saw other examples (a partial side), so its interval does not apply.
    assert.deepEqual(row.adapter, v(50));
    assert.deepEqual(row.changeCi, [4, 16]);
    assert.equal(row.verdict, 'better');
  });

  it('uses comparison.json when present, otherwise the two metrics files', async () => {
    const base = (await readMetrics(path.join(sample, 'base', 'metrics.json'))).value;
    const adapter = (await readMetrics(path.join(sample, 'adapter', 'metrics.json'))).value;
    const comparison = (await readComparison(path.join(sample, 'comparison.json'))).value;
    const paired = buildTables(base, adapter, comparison);
    assert.equal(paired.paired, true);
    assert.equal(paired.n, 6);
    assert.deepEqual(paired.metrics, ['exact_match', 'f1', 'bleu', 'rouge_l', 'meteor']);
    const f1 = paired.overall.find((r) => r.metric === 'f1');
    assert.ok(f1?.base && f1.adapter && f1.changeCi);
    assert.equal(f1.base.value, base?.overall.f1.value);
    assert.deepEqual(
      f1.base.ci,
      base?.overall.f1.ci,
      'same examples: the side interval from metrics.json is shown',
    );
    // 6 pairs: the file's bootstrap p (< 0.05) is not shown, so there is no verdict (issue 22: fewer than 10).
    assert.equal(f1.pValue, null);
    assert.equal(f1.verdict, null);
    const em = paired.overall.find((r) => r.metric === 'exact_match');
    assert.equal(em?.relativeChange, null, 'EM base is 0: no relative change');
    assert.deepEqual(
      paired.byQtype.map((g) => [g.qtype, g.n]),
      [
        ['causes', 1],
        ['information', 2],
        ['prevention', 1],
        ['symptoms', 1],
        ['treatment', 1],
      ],
    );

    // A group of one example gets no test (its bootstrap is degenerate); a group of 2 to 9 keeps its interval of
    // the change but shows no p-value (issue 22: the bootstrap claimed p < 0.001 for 3 pairs).
    const single = paired.byQtype.find((g) => g.qtype === 'causes')?.rows.f1;
    assert.ok(single?.absoluteChange);
    assert.deepEqual([single.pValue, single.changeCi, single.verdict], [null, null, null]);
    const two = paired.byQtype.find((g) => g.qtype === 'information')?.rows.f1;
    assert.deepEqual([two?.pValue, two?.verdict, Array.isArray(two?.changeCi)], [null, null, true]);

    const unpaired = buildTables(base, adapter, null);
    assert.equal(unpaired.paired, false);
    const f1u = unpaired.overall.find((r) => r.metric === 'f1');
    assert.ok(f1u);
    assert.ok(Math.abs((f1u.absoluteChange as number) - (f1.absoluteChange as number)) < 1e-9);
    assert.equal(f1u.pValue, null);
  });

  it('merges qtypes that only one side has and orders metrics the usual way', () => {
    const base = metrics({ f1: v(10), perplexity: v(20) }, { symptoms: { n: 3, metrics: { f1: v(10) } } }, 3);
    const adapter = metrics(
      { perplexity: v(15), f1: v(30), extra: v(1) },
      { treatment: { n: 4, metrics: { f1: v(30) } } },
      4,
    );
    const tables = buildTables(base, adapter, null);
    assert.deepEqual(tables.metrics, ['f1', 'perplexity', 'extra']);
    assert.equal(tables.n, 4);
    assert.deepEqual(
      tables.byQtype.map((g) => [
        g.qtype,
        g.n,
        g.rows.f1.base?.value ?? null,
        g.rows.f1.adapter?.value ?? null,
      ]),
      [
        ['symptoms', 3, 10, null],
        ['treatment', 4, null, 30],
      ],
    );
    assert.deepEqual(buildTables(null, null, null), {
      metrics: [],
      overall: [],
      byQtype: [],
      paired: false,
      n: null,
    });
  });
});

describe('evaluation: formatting and sorting', () => {
  it('prints each metric in its unit', () => {
    assert.equal(formatMetric('f1', 45.2345), '45.2');
    assert.equal(formatMetric('f1', 4.2345), '4.23');
    assert.equal(formatMetric('rouge_l', 0.31234), '0.312');
    assert.equal(formatMetric('perplexity', 12.3456), '12.35');
    assert.equal(formatMetric('perplexity', 152892.53), '152,893');
    assert.equal(formatMetric('f1', null), '—');
    assert.equal(formatChange('f1', 10.04), '+10.0');
    assert.equal(formatChange('rouge_l', -0.0123), '−0.012');
    assert.equal(formatRelative(0.25), '+25%');
    assert.equal(formatRelative(-0.053), '−5.3%');
    assert.equal(formatRelative(-0.00021), '−0.021%');
    assert.equal(formatRelative(0), '0%');
    assert.equal(formatRelative(null), '—');
    assert.equal(formatInterval('f1', [40, 50.56]), '[40.0, 50.6]');
    assert.equal(formatInterval('f1', [-2, 3], true), '[−2.00, +3.00]');
    assert.equal(formatInterval('f1', [null, null]), '—');
    assert.equal(formatPValue(0.0004), '< 0.001');
    assert.equal(formatPValue(0.0312), '0.031');
    assert.deepEqual(orderMetrics(['zeta', 'perplexity', 'f1', 'alpha', 'exact_match']), [
      'exact_match',
      'f1',
      'perplexity',
      'alpha',
      'zeta',
    ]);
  });

  it('sorts per-qtype rows by any column, missing values last in both directions', () => {
    const group = (qtype: string, n: number, base: number | null, adapter: number | null): QtypeRows => ({
      qtype,
      n,
      rows: {
        f1: unpairedRow('f1', base === null ? undefined : v(base), adapter === null ? undefined : v(adapter)),
      },
    });
    const groups = [
      group('causes', 5, 10, 30),
      group('symptoms', 9, 20, 25),
      group('treatment', 2, null, 50),
      group('information', 9, 5, 40),
    ];
    const order = (column: string, descending: boolean) =>
      sortQtypeRows(groups, 'f1', { column, descending }).map((g) => g.qtype);
    assert.deepEqual(order('n', true), ['information', 'symptoms', 'causes', 'treatment'], 'ties by name');
    assert.deepEqual(order('qtype', false), ['causes', 'information', 'symptoms', 'treatment']);
    assert.deepEqual(order('adapter', true), ['treatment', 'information', 'causes', 'symptoms']);
    assert.deepEqual(order('change', true), ['information', 'causes', 'symptoms', 'treatment']);
    assert.deepEqual(order('change', false), ['symptoms', 'causes', 'information', 'treatment']);
    assert.equal(compareCells(null, 3, false), 1);
    assert.equal(compareCells(null, 3, true), 1);
  });
});
