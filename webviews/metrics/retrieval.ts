// The retrieval-only columns of the Metrics panel's overall table (issue 18): the top-1 retrieved training answer as
// the prediction, and whether the fine-tuned model beats it (paired change and p-value). Text goes through escapeHtml.
import type { ComparisonRow, EvaluationSummary } from '../../src/protocol/metricsPanel';
import {
  VERDICT_TEXT,
  formatChange,
  formatInterval,
  formatMetric,
  higherIsBetter,
  pValueCell,
} from '../../src/evaluation/format';
import { escapeHtml } from '../shared/host';

function cell(text: string, title?: string, extraClass = ''): string {
  return `<td class="num ${extraClass}"${title ? ` title="${escapeHtml(title)}"` : ''}>${escapeHtml(text)}</td>`;
}

/** The p of fine-tuned vs retrieval-only; fewer than 10 pairs show "n < 10", as the base vs fine-tuned p does. */
function pCell(
  p: number | null | undefined,
  n: number | null,
  verdict: string | undefined,
  extraClass: string,
) {
  const shown = pValueCell(p, n);
  return cell(shown.text, shown.title ?? verdict, shown.title ? 'muted' : extraClass);
}

/** Whether the table has a retrieval side to show (older evaluations have none). */
export function hasRetrieval(e: EvaluationSummary): boolean {
  return e.overall.some((row) => row.retrieval);
}

export function retrievalHeader(e: EvaluationSummary): string[] {
  if (!hasRetrieval(e)) return [];
  return [
    '<th scope="col" class="num retrieval" title="The answer of the best-matching training pair, no model">Retrieval-only</th>',
    '<th scope="col" class="num retrieval">95% CI</th>',
    '<th scope="col" class="num retrieval" title="Fine-tuned − retrieval-only">Fine-tuned vs retrieval</th>',
    `<th scope="col" class="num retrieval" title="${escapeHtml(
      e.retrieval?.paired
        ? 'Paired bootstrap p of fine-tuned vs retrieval-only'
        : 'No paired comparison with retrieval-only yet',
    )}">p vs retrieval</th>`,
  ];
}

function versusClass(row: ComparisonRow): string {
  const versus = row.versusRetrieval;
  if (!versus || !versus.change) return '';
  if (versus.verdict === 'better') return 'better';
  if (versus.verdict === 'worse') return 'worse';
  if (versus.verdict === 'no-difference') return '';
  return versus.change > 0 === higherIsBetter(row.metric) ? 'better-weak' : 'worse-weak';
}

export function retrievalCells(e: EvaluationSummary, row: ComparisonRow): string[] {
  if (!hasRetrieval(e)) return [];
  const versus = row.versusRetrieval;
  const verdict = versus?.verdict ? VERDICT_TEXT[versus.verdict] : undefined;
  return [
    cell(formatMetric(row.metric, row.retrieval?.value)),
    cell(formatInterval(row.metric, row.retrieval?.ci), undefined, 'muted'),
    cell(
      formatChange(row.metric, versus?.change),
      versus?.changeCi ? `95% CI ${formatInterval(row.metric, versus.changeCi, true)}` : undefined,
      versusClass(row),
    ),
    pCell(versus?.pValue, e.retrieval?.paired ? e.retrieval.n : null, verdict, versusClass(row)),
  ];
}

/** One sentence under the table: what the retrieval column is, on how many examples it is paired. */
export function retrievalCaption(e: EvaluationSummary): string {
  if (!hasRetrieval(e)) return '';
  const paired = e.retrieval?.paired
    ? ` Fine-tuned vs retrieval-only is paired on ${e.retrieval.n ?? '?'} examples.`
    : '';
  return ` Retrieval-only answers each question with the answer of the best-matching training pair (no model): a generator is worth running where it beats it.${paired}`;
}
