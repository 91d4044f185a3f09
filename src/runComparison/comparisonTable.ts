/**
 * The runs table of the comparison: its columns, each cell's sort key and text, and the sort. Shared by the panel
 * (browser) and the CSV/Markdown exports (host), so the file shows what the screen shows. Pure.
 */
import { formatInterval, formatMetric, metricLabel } from '../evaluation/format';
import type { ComparedRun, ComparisonSort, RunComparisonState } from '../protocol/runComparison';
import { formatDuration, formatLoss } from '../runs/runState';
import { compareCells } from '../util/tableText';

export interface TableColumn {
  /** See ComparisonSort.column. */
  id: string;
  label: string;
  numeric: boolean;
  title?: string;
}

export const DEFAULT_SORT: ComparisonSort | null = null;

/** Run, status, the config fields (those that differ, or all), then the results. */
export function tableColumns(state: RunComparisonState, allFields: boolean): TableColumn[] {
  const keys = allFields ? state.configKeys.all : state.configKeys.differing;
  return [
    { id: 'name', label: 'Run', numeric: false },
    { id: 'status', label: 'Status', numeric: false },
    ...keys.map((key) => ({ id: `config:${key}`, label: key, numeric: false, title: `Config ${key}` })),
    {
      id: 'bestEvalLoss',
      label: 'Best val loss',
      numeric: true,
      title: 'Lowest validation loss of the run',
    },
    {
      id: 'trainingSeconds',
      label: 'Training time',
      numeric: true,
      title: 'From the start of training to its end (to now while it runs)',
    },
    { id: 'tokensPerSecond', label: 'Tokens/s', numeric: true, title: 'Median of the logged tokens/s' },
    ...state.evaluationMetrics.map((metric) => ({
      id: `metric:${metric}`,
      label: metricLabel(metric),
      numeric: true,
      title: `${metricLabel(metric)} of the fine-tuned model in the run's newest finished evaluation, with its 95% bootstrap interval`,
    })),
  ];
}

const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** The value a column sorts by: numbers as numbers (config numbers too), text as text, missing as null. */
export function cellValue(run: ComparedRun, column: string): number | string | null {
  if (column.startsWith('config:')) {
    const text = run.config[column.slice('config:'.length)];
    if (text === undefined) return null;
    return NUMBER.test(text) ? Number(text) : text;
  }
  if (column.startsWith('metric:'))
    return run.evaluation?.metrics[column.slice('metric:'.length)]?.value ?? null;
  switch (column) {
    case 'name':
      return run.name;
    case 'status':
      return run.status;
    case 'bestEvalLoss':
      return run.bestEvalLoss;
    case 'trainingSeconds':
      return run.trainingSeconds;
    case 'tokensPerSecond':
      return run.tokensPerSecond;
    default:
      return null;
  }
}

/** The cell as people read it: "0.0002", "1.23", "4m 10s", "45.2 [40.1, 50.3]", "—" when missing. */
export function cellText(run: ComparedRun, column: string): string {
  if (column.startsWith('config:')) return run.config[column.slice('config:'.length)] ?? '—';
  if (column.startsWith('metric:')) {
    const metric = column.slice('metric:'.length);
    const value = run.evaluation?.metrics[metric];
    if (!value) return '—';
    const ci = formatInterval(metric, value.ci);
    return ci === '—' ? formatMetric(metric, value.value) : `${formatMetric(metric, value.value)} ${ci}`;
  }
  switch (column) {
    case 'bestEvalLoss':
      return run.bestEvalLoss === null ? '—' : formatLoss(run.bestEvalLoss);
    case 'trainingSeconds':
      return run.trainingSeconds === null ? '—' : formatDuration(run.trainingSeconds);
    case 'tokensPerSecond':
      return run.tokensPerSecond === null ? '—' : Math.round(run.tokensPerSecond).toLocaleString('en-US');
    default: {
      const value = cellValue(run, column);
      return value === null ? '—' : String(value);
    }
  }
}

/** The runs in table order: by one column (missing values last), ties and no sort keep the chosen order. */
export function sortRuns(runs: readonly ComparedRun[], sort: ComparisonSort | null): ComparedRun[] {
  const order = new Map(runs.map((run, i) => [run.dir, i]));
  if (!sort) return [...runs];
  return [...runs].sort(
    (a, b) =>
      compareCells(cellValue(a, sort.column), cellValue(b, sort.column), sort.descending) ||
      (order.get(a.dir) ?? 0) - (order.get(b.dir) ?? 0),
  );
}
