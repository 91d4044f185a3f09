// HTML of the run comparison's legend and runs table. Every text from the host is escaped; columns, cell texts and
// the sort come from src/runComparison/comparisonTable.ts, which the exports use too.
import type { ComparisonSort, RunComparisonState } from '../../src/protocol/runComparison';
import { cellText, sortRuns, tableColumns } from '../../src/runComparison/comparisonTable';
import { escapeHtml } from '../shared/host';
import { runColor } from './chart';

const STATUS_TEXT: Record<string, string> = {
  pending: 'Pending',
  running: 'Running',
  finished: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
  unknown: 'Unknown',
  unreadable: 'Unreadable',
};

function swatch(index: number): string {
  // A data attribute, not an inline style: the CSP allows no inline styles, so main.ts paints it.
  return `<span class="swatch" data-color="${escapeHtml(runColor(index))}" aria-hidden="true"></span>`;
}

/** One entry per run (click hides or shows its curves); the line styles are explained once. */
export function legendHtml(state: RunComparisonState, hidden: ReadonlySet<string>): string {
  const items = state.runs
    .map(
      (run, index) =>
        `<li><button type="button" class="legend-item${hidden.has(run.dir) ? ' off' : ''}" data-run="${escapeHtml(run.dir)}" aria-pressed="${!hidden.has(run.dir)}" title="Show or hide ${escapeHtml(run.name)}">${swatch(index)}${escapeHtml(run.name)}</button></li>`,
    )
    .join('');
  return `<ul id="legend" class="legend" aria-label="Runs in the chart">${items}</ul>
    <span class="muted legend-key">solid: train loss${state.view.smoothing > 0 ? ' (faint: raw, bold: smoothed)' : ''} · dashed with dots: validation loss</span>`;
}

/** The runs table: sortable headers, one row per run in the current sort. */
export function runsTableHtml(
  state: RunComparisonState,
  allFields: boolean,
  sort: ComparisonSort | null,
): string {
  const columns = tableColumns(state, allFields);
  const index = new Map(state.runs.map((run, i) => [run.dir, i]));
  const header = columns
    .map((c) => {
      const active = sort?.column === c.id;
      const aria = active ? (sort.descending ? 'descending' : 'ascending') : 'none';
      const arrow = active ? (sort.descending ? ' ▼' : ' ▲') : '';
      const title = `${c.title ? `${c.title}. ` : ''}Sort by ${c.label}`;
      return `<th scope="col" class="sortable${c.numeric ? ' num' : ''}" data-column="${escapeHtml(c.id)}" aria-sort="${aria}" tabindex="0" title="${escapeHtml(title)}">${escapeHtml(c.label)}${arrow}</th>`;
    })
    .join('');
  const rows = sortRuns(state.runs, sort)
    .map((run) => {
      const cells = columns.map((c) => {
        if (c.id === 'name') {
          return `<th scope="row">${swatch(index.get(run.dir) ?? 0)}<a href="#" class="open-run" data-run="${escapeHtml(run.dir)}" title="Open the run dashboard of ${escapeHtml(run.dir)}">${escapeHtml(run.name)}</a></th>`;
        }
        if (c.id === 'status')
          return `<td><span class="status status-${escapeHtml(run.status)}"${run.problem ? ` title="${escapeHtml(run.problem)}"` : ''}>${escapeHtml(STATUS_TEXT[run.status] ?? run.status)}</span></td>`;
        const title =
          c.id.startsWith('metric:') && run.evaluation
            ? ` title="${escapeHtml(`Evaluation ${run.evaluation.name}`)}"`
            : '';
        return `<td class="${c.numeric ? 'num' : 'config'}" data-column="${escapeHtml(c.id)}"${title}>${escapeHtml(cellText(run, c.id))}</td>`;
      });
      const remove = `<td><button type="button" class="icon remove-run" data-run="${escapeHtml(run.dir)}" title="Remove ${escapeHtml(run.name)} from the comparison" aria-label="Remove ${escapeHtml(run.name)}"><span class="codicon codicon-close"></span></button></td>`;
      return `<tr data-run="${escapeHtml(run.dir)}">${cells.join('')}${remove}</tr>`;
    })
    .join('');
  const hiddenFields = state.configKeys.all.length - state.configKeys.differing.length;
  const caption = allFields
    ? `Every config field (${state.configKeys.all.length}).`
    : state.configKeys.differing.length > 0
      ? `Config fields that differ between the runs; ${hiddenFields} identical field(s) hidden.`
      : `The runs share the same config (${state.configKeys.all.length} fields hidden).`;
  return `<table id="runs-table"><caption class="muted">${escapeHtml(caption)} Scores: the fine-tuned model in each run's newest finished evaluation, [95% CI]. Click a header to sort.</caption><thead><tr>${header}<th><span class="sr-only">Remove</span></th></tr></thead><tbody>${rows}</tbody></table>`;
}
