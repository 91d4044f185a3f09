/**
 * How metrics are named, ordered and printed; shared by the Metrics panel (browser) and the exports (host),
 * so the table on screen and the CSV/Markdown files agree. No Node or VS Code imports here.
 */
import type { MetricsSort, QtypeRows } from '../protocol/metricsPanel';
import { compareCells } from '../util/tableText';

export interface MetricInfo {
  label: string;
  /** Unit as written by the evaluator (metrics.json `settings.units`, `grounding.settings.units`). */
  unit: 'percent' | '0-100' | '0-1' | 'perplexity' | 'per 100 words' | 'per answer';
  higherIsBetter: boolean;
  /** What the number means, for a tooltip (the grounding measures say they are proxies). */
  note?: string;
}

/** Said wherever the grounding measures are shown: they point graders at answers, they do not judge them. */
export const GROUNDING_NOTE =
  'A lexical proxy, not truth: what can be found in the question and the passages the model was given.';

export const METRIC_INFO: Readonly<Record<string, MetricInfo>> = {
  exact_match: { label: 'Exact match (%)', unit: 'percent', higherIsBetter: true },
  f1: { label: 'Token F1 (%)', unit: 'percent', higherIsBetter: true },
  bleu: { label: 'BLEU', unit: '0-100', higherIsBetter: true },
  rouge_l: { label: 'ROUGE-L', unit: '0-1', higherIsBetter: true },
  meteor: { label: 'METEOR', unit: '0-1', higherIsBetter: true },
  perplexity: { label: 'Perplexity', unit: 'perplexity', higherIsBetter: false },
  // Grounding (metrics.json `grounding`, issue 18); definitions in the trainer README, "Measures of grounding".
  support: {
    label: 'Support (grounding)',
    unit: '0-1',
    higherIsBetter: true,
    note: `Share of the answer's content words found in its sources (the question alone when closed-book). ${GROUNDING_NOTE}`,
  },
  fabrication: {
    label: 'Fabrication proxy (per 100 words)',
    unit: 'per 100 words',
    higherIsBetter: false,
    note: `Names, numbers and disease-like terms found neither in the question nor in the passages, per 100 answer words. ${GROUNDING_NOTE}`,
  },
  fabrication_count: {
    label: 'Unsupported claims per answer',
    unit: 'per answer',
    higherIsBetter: false,
    note: `The fabrication proxy's claims, counted per answer. ${GROUNDING_NOTE}`,
  },
  citation_valid: {
    label: 'Citation validity',
    unit: '0-1',
    higherIsBetter: true,
    note: `Share of the cited numbers [n] that name a passage the model was given (answers that cite). ${GROUNDING_NOTE}`,
  },
  citing: {
    label: 'Answers citing a source',
    unit: '0-1',
    higherIsBetter: true,
    note: `Share of the answers given passages that cite at least one. ${GROUNDING_NOTE}`,
  },
};

/** The grounding measures, in display order (after the text metrics). */
export const GROUNDING_METRICS: readonly string[] = [
  'support',
  'fabrication',
  'fabrication_count',
  'citation_valid',
  'citing',
];

export function isGroundingMetric(name: string): boolean {
  return GROUNDING_METRICS.includes(name);
}

/** The tooltip of a metric's row: its direction and, for a proxy, what it is. */
export function metricTitle(name: string, overrides: Readonly<Record<string, boolean>> = {}): string {
  const direction = higherIsBetter(name, overrides) ? 'higher is better' : 'lower is better';
  const note = METRIC_INFO[name]?.note;
  return note ? `${direction}. ${note}` : direction;
}

export const METRIC_ORDER = Object.keys(METRIC_INFO);

export function metricLabel(name: string): string {
  return METRIC_INFO[name]?.label ?? name;
}

export function higherIsBetter(name: string, overrides: Readonly<Record<string, boolean>> = {}): boolean {
  return overrides[name] ?? METRIC_INFO[name]?.higherIsBetter ?? true;
}

/** Known metrics first in their usual order, then any others alphabetically. */
export function orderMetrics(names: Iterable<string>): string[] {
  const unique = [...new Set(names)];
  const rank = (name: string) => {
    const index = METRIC_ORDER.indexOf(name);
    return index < 0 ? METRIC_ORDER.length : index;
  };
  return unique.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Digits after the point: 0–1 scores need three, percentages one; perplexity depends on its size. */
function digits(name: string, value: number): number {
  const unit = METRIC_INFO[name]?.unit;
  if (unit === '0-1') return 3;
  if (unit === 'perplexity') return Math.abs(value) >= 1000 ? 0 : 2;
  return Math.abs(value) < 10 && value !== 0 ? 2 : 1;
}

/** A metric value for people: "45.2", "0.312", "12.41"; "—" when missing. */
export function formatMetric(name: string, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits(name, value),
    maximumFractionDigits: digits(name, value),
    useGrouping: Math.abs(value) >= 10_000,
  });
}

export function formatChange(name: string, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const text = formatMetric(name, Math.abs(value));
  return value > 0 ? `+${text}` : value < 0 ? `−${text}` : text;
}

export function formatRelative(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const percent = Math.abs(value * 100);
  // Small changes keep two significant digits, so a real −0.02% does not print as "−0.0%".
  const text =
    percent >= 10
      ? percent.toFixed(0)
      : percent >= 1
        ? percent.toFixed(1)
        : Number(percent.toPrecision(2)).toString();
  return `${value > 0 ? '+' : value < 0 ? '−' : ''}${text}%`;
}

export function formatInterval(
  name: string,
  ci: readonly (number | null)[] | null | undefined,
  signed = false,
): string {
  if (!ci || ci[0] === null || ci[1] === null || ci[0] === undefined || ci[1] === undefined) return '—';
  const format = signed ? formatChange : formatMetric;
  return `[${format(name, ci[0])}, ${format(name, ci[1])}]`;
}

export function formatPValue(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/**
 * Fewer pairs than this get no p-value (the trainer's compare.py writes `p_value: null` and a `note`): a paired
 * bootstrap of 3 or 5 pairs claims p < 0.001 for a change that one more example could reverse.
 */
export const MIN_PAIRS_FOR_P_VALUE = 10;
export const SMALL_SAMPLE_NOTE = `fewer than ${MIN_PAIRS_FOR_P_VALUE} pairs: no p-value`;

/** The p cell of a group of `n` pairs: its p-value, or "n < 10" (with the reason as a tooltip). */
export function pValueCell(p: number | null | undefined, n: number | null): { text: string; title?: string } {
  if (n !== null && n < MIN_PAIRS_FOR_P_VALUE)
    return { text: `n < ${MIN_PAIRS_FOR_P_VALUE}`, title: SMALL_SAMPLE_NOTE };
  return { text: formatPValue(p) };
}

export const VERDICT_TEXT = {
  better: 'better',
  worse: 'worse',
  'no-difference': 'not significant',
} as const;

/** Plain-text flag names from metrics.json `hygiene.flags`. */
export const HYGIENE_TEXT: Readonly<Record<string, string>> = {
  empty: 'empty answers',
  role_markers: 'chat role markers in the answer',
  prompt_echo: 'the question echoed back',
  think_block: '<think> blocks',
  truncated: 'cut at max new tokens',
};

export function hygieneLabel(name: string): string {
  return HYGIENE_TEXT[name] ?? name;
}

/** Columns of the per-question-type table that can be sorted. */
export type QtypeColumn = 'qtype' | 'n' | 'base' | 'adapter' | 'change' | 'relative' | 'p';

/** The per-question-type groups ordered by one column of one metric; ties keep the question-type order. */
export function sortQtypeRows<T extends QtypeRows>(
  groups: readonly T[],
  metric: string,
  sort: MetricsSort,
): T[] {
  const cell = (group: T): number | string | null => {
    const row = group.rows[metric];
    switch (sort.column as QtypeColumn) {
      case 'qtype':
        return group.qtype;
      case 'n':
        return group.n;
      case 'base':
        return row?.base?.value ?? null;
      case 'adapter':
        return row?.adapter?.value ?? null;
      case 'change':
        return row?.absoluteChange ?? null;
      case 'relative':
        return row?.relativeChange ?? null;
      case 'p':
        return row?.pValue ?? null;
      default:
        return null;
    }
  };
  return [...groups].sort(
    (a, b) => compareCells(cell(a), cell(b), sort.descending) || a.qtype.localeCompare(b.qtype),
  );
}
