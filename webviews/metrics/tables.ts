// HTML for the Metrics panel's tables and hygiene list. Every text from files goes through escapeHtml.
import type {
  ComparisonRow,
  EvaluationSummary,
  MetricsSort,
  MetricValue,
} from '../../src/protocol/metricsPanel';
import {
  VERDICT_TEXT,
  formatChange,
  formatInterval,
  formatMetric,
  formatRelative,
  MIN_PAIRS_FOR_P_VALUE,
  pValueCell,
  GROUNDING_NOTE,
  higherIsBetter,
  hygieneLabel,
  isGroundingMetric,
  metricLabel,
  metricTitle,
  sortQtypeRows,
  type QtypeColumn,
} from '../../src/evaluation/format';
import { escapeHtml } from '../shared/host';
import { retrievalCaption, retrievalCells, retrievalHeader } from './retrieval';

export const DEFAULT_SORT: MetricsSort = { column: 'n', descending: true };

function num(text: string, title?: string, extraClass = ''): string {
  return `<td class="num ${extraClass}"${title ? ` title="${escapeHtml(title)}"` : ''}>${escapeHtml(text)}</td>`;
}

/** "better"/"worse" colour for a change, from the paired test when there is one, else only its direction. */
function changeClass(row: ComparisonRow): string {
  if (row.verdict === 'better') return 'better';
  if (row.verdict === 'worse') return 'worse';
  if (row.verdict === null && row.absoluteChange) {
    return row.absoluteChange > 0 === higherIsBetter(row.metric) ? 'better-weak' : 'worse-weak';
  }
  return '';
}

/** The p cell; a group of fewer than MIN_PAIRS_FOR_P_VALUE pairs shows "n < 10" and why. */
function pCell(p: number | null, n: number | null): string {
  const cell = pValueCell(p, n);
  return num(cell.text, cell.title, cell.title ? 'muted' : '');
}

function valueCells(metric: string, value: MetricValue | null): string {
  return num(formatMetric(metric, value?.value)) + num(formatInterval(metric, value?.ci), undefined, 'muted');
}

export function overallTableHtml(e: EvaluationSummary): string {
  if (e.overall.length === 0) return '<p class="muted">No metrics yet.</p>';
  const hasBase = e.overall.some((r) => r.base);
  // A paired table keeps its p column even when every p is withheld (fewer than 10 pairs): it says why.
  const hasTest = e.paired || e.overall.some((r) => r.pValue !== null);
  const header = [
    '<th scope="col">Metric</th>',
    ...(hasBase ? ['<th scope="col" class="num">Base</th>', '<th scope="col" class="num">95% CI</th>'] : []),
    '<th scope="col" class="num">Fine-tuned</th>',
    '<th scope="col" class="num">95% CI</th>',
    ...(hasBase
      ? ['<th scope="col" class="num">Change</th>', '<th scope="col" class="num">Relative</th>']
      : []),
    ...(hasTest
      ? [
          '<th scope="col" class="num" title="Paired bootstrap interval of the change">95% CI of change</th>',
          '<th scope="col" class="num">p</th>',
          '<th scope="col">Verdict</th>',
        ]
      : []),
    ...retrievalHeader(e),
  ];
  const rows = e.overall.map((row) => {
    const grounding = isGroundingMetric(row.metric);
    const cells = [
      `<th scope="row" title="${escapeHtml(metricTitle(row.metric))}"${grounding ? ' class="grounding"' : ''}>${escapeHtml(metricLabel(row.metric))}${grounding ? ' <span class="muted" aria-hidden="true">ⓘ</span>' : ''}</th>`,
      ...(hasBase ? [valueCells(row.metric, row.base)] : []),
      valueCells(row.metric, row.adapter),
      ...(hasBase
        ? [
            num(formatChange(row.metric, row.absoluteChange), undefined, changeClass(row)),
            num(formatRelative(row.relativeChange), undefined, changeClass(row)),
          ]
        : []),
      ...(hasTest
        ? [
            num(formatInterval(row.metric, row.changeCi, true), undefined, 'muted'),
            pCell(row.pValue, e.paired ? e.n : null),
            `<td class="${changeClass(row)}">${row.verdict ? VERDICT_TEXT[row.verdict] : '—'}</td>`,
          ]
        : []),
      ...retrievalCells(e, row),
    ];
    return `<tr data-metric="${escapeHtml(row.metric)}">${cells.join('')}</tr>`;
  });
  const pairedCaption = e.paired
    ? `Paired on ${e.n} examples: both models answered the same questions. p from a paired bootstrap; “better”/“worse” at p < 0.05.`
    : hasBase
      ? 'No paired comparison (comparison.json) yet: intervals are per model, no significance test.'
      : 'Fine-tuned model only.';
  const caption =
    pairedCaption +
    (e.paired && e.n !== null && e.n < MIN_PAIRS_FOR_P_VALUE
      ? ` With fewer than ${MIN_PAIRS_FOR_P_VALUE} pairs there is no p-value and no verdict.`
      : '');
  // The grounding rows are cheap signals that grading checks; the table says so once, beside the numbers.
  const groundingCaption = e.overall.some((r) => isGroundingMetric(r.metric))
    ? ` Support, fabrication and citation rows: ${GROUNDING_NOTE}`
    : '';
  return `<table id="overall-table"><caption class="muted">${escapeHtml(caption + retrievalCaption(e) + groundingCaption)}</caption><thead><tr>${header.join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const QTYPE_COLUMNS: { column: QtypeColumn; label: string; numeric: boolean }[] = [
  { column: 'qtype', label: 'Question type', numeric: false },
  { column: 'n', label: 'n', numeric: true },
  { column: 'base', label: 'Base', numeric: true },
  { column: 'adapter', label: 'Fine-tuned', numeric: true },
  { column: 'change', label: 'Change', numeric: true },
  { column: 'relative', label: 'Relative', numeric: true },
  { column: 'p', label: 'p', numeric: true },
];

export function qtypeTableHtml(e: EvaluationSummary, metric: string, sort: MetricsSort): string {
  const groups = e.byQtype.filter((g) => g.rows[metric]);
  if (groups.length === 0) return '<p class="muted">No per-question-type results.</p>';
  const hasBase = groups.some((g) => g.rows[metric].base);
  const columns = QTYPE_COLUMNS.filter(
    (c) => hasBase || !['base', 'change', 'relative', 'p'].includes(c.column),
  );
  const header = columns
    .map((c) => {
      const active = sort.column === c.column;
      const aria = active ? (sort.descending ? 'descending' : 'ascending') : 'none';
      const arrow = active ? (sort.descending ? ' ▼' : ' ▲') : '';
      return `<th scope="col" class="sortable${c.numeric ? ' num' : ''}" data-column="${c.column}" aria-sort="${aria}" tabindex="0" title="Sort by ${c.label}">${escapeHtml(c.label)}${arrow}</th>`;
    })
    .join('');
  const body = sortQtypeRows(groups, metric, sort)
    .map((g) => {
      const row = g.rows[metric];
      const cells: Record<QtypeColumn, string> = {
        qtype: `<th scope="row">${escapeHtml(g.qtype)}</th>`,
        n: num(String(g.n)),
        base: num(formatMetric(metric, row.base?.value), formatInterval(metric, row.base?.ci)),
        adapter: num(formatMetric(metric, row.adapter?.value), formatInterval(metric, row.adapter?.ci)),
        change: num(
          formatChange(metric, row.absoluteChange),
          row.changeCi ? `95% CI ${formatInterval(metric, row.changeCi, true)}` : undefined,
          changeClass(row),
        ),
        relative: num(formatRelative(row.relativeChange), undefined, changeClass(row)),
        p: pCell(row.pValue, g.n),
      };
      return `<tr data-qtype="${escapeHtml(g.qtype)}">${columns.map((c) => cells[c.column]).join('')}</tr>`;
    })
    .join('');
  return `<table id="qtype-table"><caption class="muted">${escapeHtml(metricLabel(metric))} per question type; click a header to sort. Small groups have wide intervals; groups of fewer than ${MIN_PAIRS_FOR_P_VALUE} pairs get no p-value (n < ${MIN_PAIRS_FOR_P_VALUE}).</caption><thead><tr>${header}</tr></thead><tbody>${body}</tbody></table>`;
}

export function hygieneHtml(e: EvaluationSummary): string {
  if (e.hygiene.length === 0) return '<p class="muted">No hygiene report in these results.</p>';
  return e.hygiene
    .map((report) => {
      const who = report.side === 'base' ? 'Base model' : 'Fine-tuned';
      const flags = report.flags.filter((f) => f.count === null || f.count > 0);
      const head =
        report.flagged > 0
          ? `<p class="warning"><strong>${who}:</strong> ${report.flagged} of ${report.checked} answers look suspicious.</p>`
          : `<p class="better"><strong>${who}:</strong> no problems found in ${report.checked} answers.</p>`;
      const items = flags.map((f) => {
        if (f.count === null)
          return `<li class="muted">${escapeHtml(hygieneLabel(f.name))}: unknown${f.note ? ` (${escapeHtml(f.note)})` : ''}</li>`;
        const examples = f.examples
          .map(
            (id) =>
              `<a href="#" class="example" data-side="${report.side}" data-id="${escapeHtml(id)}" title="Open this answer">${escapeHtml(id)}</a>`,
          )
          .join(', ');
        return `<li data-flag="${escapeHtml(f.name)}">${escapeHtml(hygieneLabel(f.name))}: <strong>${f.count}</strong>${examples ? ` — e.g. ${examples}` : ''}</li>`;
      });
      return `<div class="hygiene-side">${head}${items.length ? `<ul>${items.join('')}</ul>` : ''}</div>`;
    })
    .join('');
}
