import type { ComparisonRow, MetricValue, QtypeRows } from '../protocol/metricsPanel';
import type { ComparisonDocument, MetricsDocument, PairedEntry } from './evaluationFiles';
import { MIN_PAIRS_FOR_P_VALUE, higherIsBetter, orderMetrics } from './format';

/** Two-sided level of the paired bootstrap test behind "better"/"worse". */
export const SIGNIFICANCE_LEVEL = 0.05;
/**
 * A bootstrap of one example resamples that example every time: its interval has zero width and its p-value says
 * nothing. Groups smaller than this show the change without a test.
 */
export const MIN_TESTED_EXAMPLES = 2;

function withoutTest(row: ComparisonRow): ComparisonRow {
  return { ...row, changeCi: null, pValue: null, verdict: null };
}

/** Fewer than MIN_PAIRS_FOR_P_VALUE pairs: no p-value, so no verdict (also for files written before that rule). */
function withoutPValue(row: ComparisonRow): ComparisonRow {
  return { ...row, pValue: null, verdict: null };
}

const NO_INTERVAL: [null, null] = [null, null];

export function absoluteChange(
  base: number | null | undefined,
  adapter: number | null | undefined,
): number | null {
  return base == null || adapter == null ? null : adapter - base;
}

/** Change relative to the base value; undefined (null) for a base of 0, where any change is "infinite". */
export function relativeChange(
  base: number | null | undefined,
  adapter: number | null | undefined,
): number | null {
  const change = absoluteChange(base, adapter);
  return change === null || base === 0 || base == null ? null : change / Math.abs(base);
}

export function verdict(
  metric: string,
  change: number | null,
  pValue: number | null,
  overrides: Readonly<Record<string, boolean>> = {},
): ComparisonRow['verdict'] {
  if (pValue === null || change === null) return null;
  if (pValue >= SIGNIFICANCE_LEVEL || change === 0) return 'no-difference';
  return change > 0 === higherIsBetter(metric, overrides) ? 'better' : 'worse';
}

/** Base vs fine-tuned from the two metrics files alone: changes, each side's own interval, no paired test. */
export function unpairedRow(
  metric: string,
  base: MetricValue | undefined,
  adapter: MetricValue | undefined,
): ComparisonRow {
  return {
    metric,
    base: base ?? null,
    adapter: adapter ?? null,
    absoluteChange: absoluteChange(base?.value, adapter?.value),
    relativeChange: relativeChange(base?.value, adapter?.value),
    changeCi: null,
    pValue: null,
    verdict: null,
  };
}

/** A side's interval from its metrics file applies only when the comparison saw the same examples (same value). */
export function sideValue(value: number | null, fromMetrics: MetricValue | undefined): MetricValue {
  const same =
    fromMetrics &&
    fromMetrics.value !== null &&
    value !== null &&
    Math.abs(fromMetrics.value - value) <= 1e-9 * Math.max(1, Math.abs(value));
  return { value, ci: same ? fromMetrics.ci : NO_INTERVAL };
}

/** Base vs fine-tuned from comparison.json: the paired change, its interval and p-value, and a verdict. */
export function pairedRow(
  metric: string,
  entry: PairedEntry,
  base: MetricValue | undefined,
  adapter: MetricValue | undefined,
  overrides: Readonly<Record<string, boolean>> = {},
): ComparisonRow {
  return {
    metric,
    base: sideValue(entry.base, base),
    adapter: sideValue(entry.candidate, adapter),
    absoluteChange: entry.absoluteChange ?? absoluteChange(entry.base, entry.candidate),
    relativeChange: entry.relativeChange ?? relativeChange(entry.base, entry.candidate),
    changeCi: entry.ci,
    pValue: entry.pValue,
    verdict: verdict(metric, entry.absoluteChange, entry.pValue, overrides),
  };
}

export interface ComparisonTables {
  metrics: string[];
  overall: ComparisonRow[];
  byQtype: QtypeRows[];
  paired: boolean;
  n: number | null;
}

/**
 * The overall and per-qtype tables of one evaluation. comparison.json (paired, on the examples both sides share)
 * wins when present; otherwise the rows come from whichever metrics files exist.
 */
export function buildTables(
  base: MetricsDocument | null,
  adapter: MetricsDocument | null,
  comparison: ComparisonDocument | null,
): ComparisonTables {
  if (comparison && Object.keys(comparison.metrics).length > 0) {
    const metrics = orderMetrics(Object.keys(comparison.metrics));
    const overrides = comparison.higherIsBetter;
    const overall = metrics.map((m) =>
      pairedRow(m, comparison.metrics[m], base?.overall[m], adapter?.overall[m], overrides),
    );
    const byQtype = Object.entries(comparison.byQtype)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([qtype, group]): QtypeRows => {
        const rows: Record<string, ComparisonRow> = {};
        for (const m of metrics) {
          const entry = group.metrics[m];
          if (entry)
            rows[m] = pairedRow(
              m,
              entry,
              base?.byQtype[qtype]?.metrics[m],
              adapter?.byQtype[qtype]?.metrics[m],
              overrides,
            );
        }
        if (group.n < MIN_TESTED_EXAMPLES) for (const m of Object.keys(rows)) rows[m] = withoutTest(rows[m]);
        else if (group.n < MIN_PAIRS_FOR_P_VALUE)
          for (const m of Object.keys(rows)) rows[m] = withoutPValue(rows[m]);
        return { qtype, n: group.n, rows };
      });
    const tested = comparison.n >= MIN_TESTED_EXAMPLES;
    return {
      metrics,
      overall: !tested
        ? overall.map(withoutTest)
        : comparison.n < MIN_PAIRS_FOR_P_VALUE
          ? overall.map(withoutPValue)
          : overall,
      byQtype,
      paired: true,
      n: comparison.n,
    };
  }
  const metrics = orderMetrics([...Object.keys(base?.overall ?? {}), ...Object.keys(adapter?.overall ?? {})]);
  const overall = metrics.map((m) => unpairedRow(m, base?.overall[m], adapter?.overall[m]));
  const qtypes = [
    ...new Set([...Object.keys(base?.byQtype ?? {}), ...Object.keys(adapter?.byQtype ?? {})]),
  ].sort((a, b) => a.localeCompare(b));
  const byQtype = qtypes.map((qtype): QtypeRows => {
    const b = base?.byQtype[qtype];
    const a = adapter?.byQtype[qtype];
    const rows: Record<string, ComparisonRow> = {};
    for (const m of metrics)
      if (b?.metrics[m] || a?.metrics[m]) rows[m] = unpairedRow(m, b?.metrics[m], a?.metrics[m]);
    return { qtype, n: Math.max(b?.n ?? 0, a?.n ?? 0), rows };
  });
  const n = base || adapter ? Math.max(base?.n ?? 0, adapter?.n ?? 0) : null;
  return { metrics, overall, byQtype, paired: false, n };
}
