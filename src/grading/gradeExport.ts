import type { GradeSummary, MetricValue } from '../protocol/metricsPanel';
import { csvLine, markdownText, type ExportFormat } from '../util/tableText';
import { GRADE_FLAGS, GRADE_LABELS } from './gradeStore';
import type { GradedAnswer } from './gradeSummary';
import type { GradedEvaluation } from './gradedEvaluation';
import { SIDE_LABELS } from './gradingSession';

export const FLAG_LABELS: Record<string, string> = {
  unsafe: 'Unsafe advice',
  hallucinated: 'Hallucinated fact',
  missing: 'Missing key information',
  outdated: 'Outdated',
  unsupported: 'Not supported by its sources',
};

const fixed = (value: number | null, digits: number) => (value === null ? '—' : value.toFixed(digits));

export function intervalText(v: MetricValue, digits = 2): string {
  const [low, high] = v.ci;
  const ci = low === null || high === null ? '' : ` [${low.toFixed(digits)}, ${high.toFixed(digits)}]`;
  return `${fixed(v.value, digits)}${ci}`;
}

export const GRADE_CSV_COLUMNS = [
  'example',
  'qtype',
  'model',
  'grader',
  'grade',
  'grade_label',
  'flags',
  'comment',
  'token_f1',
  'graded_at',
  'blind',
];

/** One row per grade (for a spreadsheet or a stats package): what was graded, by whom, and its token F1. */
export function gradesCsv(grades: readonly GradedAnswer[]): string {
  const rows = grades.map((g) =>
    csvLine([
      g.example.id,
      g.example.qtype,
      g.side,
      g.grader,
      g.record.grade,
      g.record.grade === null ? '' : GRADE_LABELS[g.record.grade],
      g.record.flags.join(';'),
      g.record.comment,
      g.example.answers[g.side]?.f1 ?? null,
      g.record.at,
      g.record.blind ? g.record.blind.label : '',
    ]),
  );
  return [GRADE_CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

/** The summary as a report section: per-model grades, blind preference, agreement, correlation with F1. */
export function gradesMarkdown(evaluation: GradedEvaluation, summary: GradeSummary): string {
  const lines = [
    `# Human grades · ${markdownText(evaluation.title)}`,
    '',
    `Scale: LiveQA-Med 1–4 (${Object.entries(GRADE_LABELS)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}). Graders: ${summary.graders.map(markdownText).join(', ') || '—'}.`,
    '',
    `| Model | Answers graded | Mean grade [95% CI] | 1 | 2 | 3 | 4 | ${GRADE_FLAGS.map((f) => FLAG_LABELS[f]).join(' | ')} |`,
    `|---|---:|---:|---:|---:|---:|---:|${GRADE_FLAGS.map(() => '---:').join('|')}|`,
    ...summary.sides.map(
      (s) =>
        `| ${SIDE_LABELS[s.side]} | ${s.graded} | ${intervalText(s.mean)} | ${s.distribution.join(' | ')} | ${GRADE_FLAGS.map((f) => s.flags[f] ?? 0).join(' | ')} |`,
    ),
    '',
  ];
  if (summary.preference) {
    const p = summary.preference;
    lines.push(
      `Blind A/B preference: fine-tuned preferred ${p.adapter}, base ${p.base}, ties ${p.ties} of ${p.n}; ` +
        `fine-tuned win rate (ties half) ${intervalText(p.rate)}.`,
      '',
    );
  }
  if (summary.agreement.length > 0) {
    lines.push('| Agreement | Graders | Shared answers | Kappa |', '|---|---|---:|---:|');
    for (const a of summary.agreement)
      lines.push(
        `| ${a.method === 'fleiss' ? "Fleiss' kappa" : "Cohen's kappa (quadratic)"} | ${a.graders.map(markdownText).join(', ')} | ${a.n} | ${fixed(a.kappa, 3)} |`,
      );
    lines.push('');
  }
  if (summary.correlation)
    lines.push(
      `Spearman correlation of the mean grade with token F1: ${fixed(summary.correlation.spearman, 3)} over ${summary.correlation.n} answers.`,
      '',
    );
  if (summary.stale > 0)
    lines.push(
      `${summary.stale} grade(s) were given to an earlier text of an answer and are not counted.`,
      '',
    );
  return lines.join('\n');
}

export function exportGrades(
  format: ExportFormat,
  evaluation: GradedEvaluation,
  summary: GradeSummary,
  grades: readonly GradedAnswer[],
): string {
  return format === 'csv' ? gradesCsv(grades) : gradesMarkdown(evaluation, summary);
}
