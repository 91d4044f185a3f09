/**
 * The runs table as CSV (raw numbers, full precision, one line per run) or Markdown (as on screen), in the
 * panel's sort order and with the same config columns.
 */
import { csvLine, markdownText, type ExportFormat } from '../util/tableText';
import type { ComparisonSort, RunComparisonState } from '../protocol/runComparison';
import { cellText, sortRuns, tableColumns } from './comparisonTable';

export interface ComparisonExportOptions {
  /** Every config field, not only those that differ. */
  allFields?: boolean;
  sort?: ComparisonSort | null;
}

export function comparisonCsv(state: RunComparisonState, options: ComparisonExportOptions = {}): string {
  const keys = options.allFields ? state.configKeys.all : state.configKeys.differing;
  const header: string[] = ['run', 'status', 'folder', ...keys];
  header.push('best_val_loss', 'training_seconds', 'tokens_per_second_median');
  for (const metric of state.evaluationMetrics) header.push(metric, `${metric}_ci_low`, `${metric}_ci_high`);
  header.push('evaluation');
  const lines = [csvLine(header)];
  for (const run of sortRuns(state.runs, options.sort ?? null)) {
    const fields: (string | number | null)[] = [run.name, run.status, run.dir];
    for (const key of keys) fields.push(run.config[key] ?? null);
    fields.push(run.bestEvalLoss, run.trainingSeconds, run.tokensPerSecond);
    for (const metric of state.evaluationMetrics) {
      const value = run.evaluation?.metrics[metric];
      fields.push(value?.value ?? null, value?.ci[0] ?? null, value?.ci[1] ?? null);
    }
    fields.push(run.evaluation?.dir ?? null);
    lines.push(csvLine(fields));
  }
  return lines.join('\r\n') + '\r\n';
}

export function comparisonMarkdown(state: RunComparisonState, options: ComparisonExportOptions = {}): string {
  const columns = tableColumns(state, options.allFields === true);
  const runs = sortRuns(state.runs, options.sort ?? null);
  const lines = [`# Run comparison`, ''];
  lines.push(
    options.allFields || state.configKeys.differing.length === 0
      ? `- Config: ${options.allFields ? 'every field' : 'the runs have the same config'}`
      : `- Config: the ${state.configKeys.differing.length} field(s) that differ between the runs`,
  );
  if (state.evaluationMetrics.length > 0)
    lines.push(
      "- Scores: the fine-tuned model in each run's newest finished evaluation, [95% bootstrap interval]",
    );
  for (const dir of state.missing) lines.push(`- Missing run: ${markdownText(dir)}`);
  lines.push('');
  lines.push(`| ${columns.map((c) => markdownText(c.label)).join(' | ')} |`);
  lines.push(`|${columns.map((c) => (c.numeric ? '---:' : '---')).join('|')}|`);
  for (const run of runs) {
    lines.push(`| ${columns.map((c) => markdownText(cellText(run, c.id))).join(' | ')} |`);
  }
  const evaluated = runs.filter((run) => run.evaluation);
  if (evaluated.length > 0) {
    lines.push('', '## Evaluations', '');
    for (const run of evaluated)
      lines.push(`- ${markdownText(run.name)}: ${markdownText(run.evaluation?.dir ?? '')}`);
  }
  return lines.join('\n') + '\n';
}

export function exportComparison(
  state: RunComparisonState,
  format: ExportFormat,
  options: ComparisonExportOptions = {},
): string {
  return format === 'csv' ? comparisonCsv(state, options) : comparisonMarkdown(state, options);
}
