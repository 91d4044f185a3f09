import type { ComparisonRow, EvaluationSummary, HygieneSummary } from '../protocol/metricsPanel';
import {
  VERDICT_TEXT,
  formatChange,
  formatInterval,
  formatMetric,
  formatPValue,
  formatRelative,
  hygieneLabel,
  metricLabel,
} from './format';
import { pushAll } from '../util/arrays';
import { csvLine, markdownText, type ExportFormat } from '../util/tableText';

export const CSV_COLUMNS = [
  'group',
  'n',
  'metric',
  'base',
  'base_ci_low',
  'base_ci_high',
  'fine_tuned',
  'fine_tuned_ci_low',
  'fine_tuned_ci_high',
  'absolute_change',
  'relative_change',
  'change_ci_low',
  'change_ci_high',
  'p_value',
  'verdict',
  // The retrieval-only baseline and fine-tuned vs it (empty for evaluations without a retrieval side).
  'retrieval',
  'retrieval_ci_low',
  'retrieval_ci_high',
  'vs_retrieval_change',
  'vs_retrieval_ci_low',
  'vs_retrieval_ci_high',
  'vs_retrieval_p_value',
  'vs_retrieval_verdict',
] as const;

function csvRow(group: string, n: number | null, row: ComparisonRow): (string | number | null)[] {
  return [
    group,
    n,
    row.metric,
    row.base?.value ?? null,
    row.base?.ci[0] ?? null,
    row.base?.ci[1] ?? null,
    row.adapter?.value ?? null,
    row.adapter?.ci[0] ?? null,
    row.adapter?.ci[1] ?? null,
    row.absoluteChange,
    row.relativeChange,
    row.changeCi?.[0] ?? null,
    row.changeCi?.[1] ?? null,
    row.pValue,
    row.verdict,
    row.retrieval?.value ?? null,
    row.retrieval?.ci[0] ?? null,
    row.retrieval?.ci[1] ?? null,
    row.versusRetrieval?.change ?? null,
    row.versusRetrieval?.changeCi?.[0] ?? null,
    row.versusRetrieval?.changeCi?.[1] ?? null,
    row.versusRetrieval?.pValue ?? null,
    row.versusRetrieval?.verdict ?? null,
  ];
}

/** "Fine-tuned vs retrieval-only": does the generator beat returning the nearest training answer? */
function retrievalTable(summary: EvaluationSummary): string[] {
  const rows = summary.overall.filter((row) => row.retrieval);
  if (rows.length === 0) return [];
  const paired = summary.retrieval?.paired
    ? `Paired on ${summary.retrieval.n ?? '?'} examples.`
    : 'No paired comparison yet: no p-value.';
  return [
    '',
    '## Fine-tuned vs retrieval-only',
    '',
    `Retrieval-only answers each question with the answer of the best-matching training pair (no model). ${paired}`,
    '',
    ...table(
      [
        'Metric',
        'Retrieval-only [95% CI]',
        'Fine-tuned [95% CI]',
        'Change',
        '95% CI of change',
        'p',
        'Verdict',
      ],
      ['l', 'r', 'r', 'r', 'r', 'r', 'l'],
      rows.map((row) => [
        markdownText(metricLabel(row.metric)),
        valueWithInterval(row.metric, row.retrieval ?? null),
        valueWithInterval(row.metric, row.adapter),
        formatChange(row.metric, row.versusRetrieval?.change),
        formatInterval(row.metric, row.versusRetrieval?.changeCi ?? null, true),
        formatPValue(row.versusRetrieval?.pValue),
        row.versusRetrieval?.verdict ? VERDICT_TEXT[row.versusRetrieval.verdict] : '—',
      ]),
    ),
  ];
}

/** Long format, one line per (group, metric): `overall` first, then each question type; raw numbers, full precision. */
export function evaluationCsv(summary: EvaluationSummary): string {
  const lines = [csvLine(CSV_COLUMNS)];
  for (const row of summary.overall) lines.push(csvLine(csvRow('overall', summary.n, row)));
  for (const group of summary.byQtype) {
    for (const metric of summary.metrics) {
      const row = group.rows[metric];
      if (row) lines.push(csvLine(csvRow(group.qtype, group.n, row)));
    }
  }
  return lines.join('\r\n') + '\r\n';
}

function valueWithInterval(
  metric: string,
  value: { value: number | null; ci: [number | null, number | null] } | null,
): string {
  if (!value) return '—';
  const ci = formatInterval(metric, value.ci);
  return ci === '—' ? formatMetric(metric, value.value) : `${formatMetric(metric, value.value)} ${ci}`;
}

function table(header: string[], align: ('l' | 'r')[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ];
}

function hygieneLines(hygiene: HygieneSummary[]): string[] {
  const lines: string[] = [];
  for (const side of hygiene) {
    const name = side.side === 'base' ? 'Base model' : 'Fine-tuned';
    lines.push(`- ${name}: ${side.flagged} of ${side.checked} predictions flagged`);
    for (const flag of side.flags) {
      if (flag.count === null)
        lines.push(
          `  - ${markdownText(hygieneLabel(flag.name))}: unknown${flag.note ? ` (${markdownText(flag.note)})` : ''}`,
        );
      else if (flag.count > 0) {
        const examples = flag.examples.map(markdownText).join(', ');
        lines.push(
          `  - ${markdownText(hygieneLabel(flag.name))}: ${flag.count}${examples ? ` (e.g. ${examples})` : ''}`,
        );
      }
    }
  }
  return lines;
}

/** The report's header: what was evaluated, on what, and how. */
function factLines(summary: EvaluationSummary): string[] {
  const lines: string[] = [];
  const fact = (label: string, value: string | null) => {
    if (value) lines.push(`- ${label}: ${markdownText(value)}`);
  };
  fact('Checkpoint', summary.checkpoint);
  fact('Base model', summary.baseModel);
  fact('Test data', summary.testFile);
  fact('Created', summary.createdAt);
  fact('Status', summary.status);
  fact('Mode', summary.mode ?? null);
  if (summary.n !== null) {
    lines.push(
      `- Examples: ${summary.n}${summary.paired ? ' (paired: both models answered the same questions; 95% paired-bootstrap intervals)' : ''}`,
    );
  }
  for (const note of summary.notes) lines.push(`- Note: ${markdownText(note)}`);
  return lines;
}

function overallTable(summary: EvaluationSummary): string[] {
  return table(
    [
      'Metric',
      'Base [95% CI]',
      'Fine-tuned [95% CI]',
      'Change',
      'Relative',
      '95% CI of change',
      'p',
      'Verdict',
    ],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    summary.overall.map((row) => [
      markdownText(metricLabel(row.metric)),
      valueWithInterval(row.metric, row.base),
      valueWithInterval(row.metric, row.adapter),
      formatChange(row.metric, row.absoluteChange),
      formatRelative(row.relativeChange),
      formatInterval(row.metric, row.changeCi, true),
      formatPValue(row.pValue),
      row.verdict ? VERDICT_TEXT[row.verdict] : '—',
    ]),
  );
}

/** One section per metric that has per-qtype rows. */
function qtypeSections(summary: EvaluationSummary): string[] {
  const lines: string[] = [];
  for (const metric of summary.metrics) {
    const groups = summary.byQtype.filter((g) => g.rows[metric]);
    if (groups.length === 0) continue;
    lines.push('', `## By question type: ${markdownText(metricLabel(metric))}`, '');
    pushAll(
      lines,
      table(
        ['Question type', 'n', 'Base', 'Fine-tuned', 'Change', 'Relative', '95% CI of change', 'p'],
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
        groups.map((group) => {
          const row = group.rows[metric];
          return [
            markdownText(group.qtype),
            String(group.n),
            formatMetric(metric, row.base?.value),
            formatMetric(metric, row.adapter?.value),
            formatChange(metric, row.absoluteChange),
            formatRelative(row.relativeChange),
            formatInterval(metric, row.changeCi, true),
            formatPValue(row.pValue),
          ];
        }),
      ),
    );
  }
  return lines;
}

/** A readable report: facts, the base vs fine-tuned table, one per-qtype table per metric, hygiene warnings. */
export function evaluationMarkdown(summary: EvaluationSummary): string {
  const lines = [`# Evaluation ${markdownText(summary.title)}`, ''];
  pushAll(lines, factLines(summary));
  lines.push('', '## Base vs fine-tuned', '');
  pushAll(lines, overallTable(summary));
  pushAll(lines, retrievalTable(summary));
  pushAll(lines, qtypeSections(summary));
  if (summary.hygiene.length > 0)
    pushAll(lines, ['', '## Prediction hygiene', '', ...hygieneLines(summary.hygiene)]);
  if (summary.problems.length > 0) {
    pushAll(lines, [
      '',
      '## Problems reading the files',
      '',
      ...summary.problems.map((p) => `- ${markdownText(p)}`),
    ]);
  }
  return lines.join('\n') + '\n';
}

export function exportEvaluation(summary: EvaluationSummary, format: ExportFormat): string {
  return format === 'csv' ? evaluationCsv(summary) : evaluationMarkdown(summary);
}
