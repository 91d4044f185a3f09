import type { ComparisonRow, MetricValue, RetrievalChange } from '../protocol/metricsPanel';
import type { ComparisonDocument, MetricsDocument, PairedEntry } from './evaluationFiles';
import { MIN_PAIRS_FOR_P_VALUE, orderMetrics } from './format';
import { MIN_TESTED_EXAMPLES, absoluteChange, sideValue, verdict, type ComparisonTables } from './tables';

/**
 * The retrieval-only column of the Metrics panel: each row gains the baseline's value and, from
 * `versus-retrieval/comparison.json` (compare --base retrieval --candidate adapter), the paired change of the
 * fine-tuned model over it with its p-value: whether the generator beats returning the nearest trusted answer.
 */
function pairedChange(
  metric: string,
  entry: PairedEntry,
  pairs: number,
  overrides: Readonly<Record<string, boolean>>,
): RetrievalChange {
  const change = entry.absoluteChange ?? absoluteChange(entry.base, entry.candidate);
  // The rules of base vs fine-tuned (tables.ts): one example gets no test at all; fewer than
  // MIN_PAIRS_FOR_P_VALUE pairs keep the interval but get no p-value, so no verdict.
  if (pairs < MIN_TESTED_EXAMPLES) return { change, changeCi: null, pValue: null, verdict: null };
  if (pairs < MIN_PAIRS_FOR_P_VALUE) return { change, changeCi: entry.ci, pValue: null, verdict: null };
  return {
    change,
    changeCi: entry.ci,
    pValue: entry.pValue,
    verdict: verdict(metric, change, entry.pValue, overrides),
  };
}

function retrievalCells(
  metric: string,
  adapter: MetricValue | null,
  retrieval: MetricValue | undefined,
  entry: PairedEntry | undefined,
  pairs: number,
  overrides: Readonly<Record<string, boolean>>,
): Pick<ComparisonRow, 'retrieval' | 'versusRetrieval'> {
  if (entry) {
    return {
      retrieval: sideValue(entry.base, retrieval),
      versusRetrieval: pairedChange(metric, entry, pairs, overrides),
    };
  }
  if (!retrieval) return { retrieval: null, versusRetrieval: null };
  const change = absoluteChange(retrieval.value, adapter?.value);
  return {
    retrieval,
    versusRetrieval: change === null ? null : { change, changeCi: null, pValue: null, verdict: null },
  };
}

const emptyRow = (metric: string): ComparisonRow => ({
  metric,
  base: null,
  adapter: null,
  absoluteChange: null,
  relativeChange: null,
  changeCi: null,
  pValue: null,
  verdict: null,
});

/** Adds the retrieval columns to the base-vs-fine-tuned tables. */
export function withRetrieval(
  tables: ComparisonTables,
  retrieval: MetricsDocument | null,
  versus: ComparisonDocument | null,
): ComparisonTables {
  if (!retrieval && !versus) return tables;
  const overrides = versus?.higherIsBetter ?? {};
  // The rows are the models' metrics; the baseline's own rows show only before any model side has metrics (while
  // the models still answer). A metric only the baseline has (its trivial grounding) has nothing to compare with.
  const metrics =
    tables.metrics.length > 0 ? tables.metrics : orderMetrics(Object.keys(retrieval?.overall ?? {}));
  const overall = metrics.map((metric) => {
    const row = tables.overall.find((r) => r.metric === metric) ?? emptyRow(metric);
    return {
      ...row,
      ...retrievalCells(
        metric,
        row.adapter,
        retrieval?.overall[metric],
        versus?.metrics[metric],
        versus?.n ?? 0,
        overrides,
      ),
    };
  });
  const byQtype = tables.byQtype.map((group) => {
    const paired = versus?.byQtype[group.qtype];
    const rows: Record<string, ComparisonRow> = {};
    for (const [metric, row] of Object.entries(group.rows)) {
      rows[metric] = {
        ...row,
        ...retrievalCells(
          metric,
          row.adapter,
          retrieval?.byQtype[group.qtype]?.metrics[metric],
          paired?.metrics[metric],
          paired?.n ?? 0,
          overrides,
        ),
      };
    }
    return { ...group, rows };
  });
  return { ...tables, metrics, overall, byQtype };
}
