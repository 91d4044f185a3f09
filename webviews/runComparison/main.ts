// The run comparison panel: train and validation loss of several runs overlaid (x by step, epoch or tokens seen;
// smoothing, log scale, zoom) and a sortable runs table with the config fields that differ, best validation loss,
// training time, tokens/s and evaluation scores. The host pushes the full state on every change.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import type {
  ComparisonView,
  ComparisonXAxis,
  RunComparisonState,
  RunComparisonUiState,
} from '../../src/protocol/runComparison';
import { connect, escapeHtml } from '../shared/host';
import { AXIS_TITLES, createComparisonChart, type ComparisonChart } from './chart';
import { legendHtml, runsTableHtml } from './table';

const host = connect<'runComparison', RunComparisonUiState>((message) => {
  if (message.type === 'state') render(message.state);
});
let ui: RunComparisonUiState = { logScale: false, showAllFields: false, sort: null, ...host.uiState() };
const app = document.getElementById('app') as HTMLElement;
const hidden = new Set<string>();
let state: RunComparisonState | undefined;
let chart: ComparisonChart | undefined;
let viewTimer: ReturnType<typeof setTimeout> | undefined;

type Checkable = HTMLElement & { checked: boolean; disabled: boolean };

function saveUi(patch: Partial<RunComparisonUiState>): void {
  ui = { ...ui, ...patch };
  host.saveUiState(ui);
}

/** Sends the chart's view; slider moves and zoom gestures come in bursts, so only the last one goes. */
function sendView(patch: Partial<ComparisonView>, delay = 150): void {
  if (!state) return;
  state = { ...state, view: { ...state.view, ...patch } };
  const view = state.view;
  if (viewTimer) clearTimeout(viewTimer);
  viewTimer = setTimeout(() => host.post({ type: 'setView', view }), delay);
}

function skeleton(): void {
  app.innerHTML = `
    <header class="toolbar">
      <h2 id="title">Compare runs</h2><span class="spacer"></span>
      <vscode-button id="add-runs" icon="add" secondary>Add or remove runs…</vscode-button>
      <vscode-button id="export-csv" icon="export">Export CSV</vscode-button>
      <vscode-button id="export-markdown" icon="markdown" secondary>Export Markdown</vscode-button>
    </header>
    <ul id="notes" class="notes"></ul>
    <section class="card" id="chart-card">
      <div class="toolbar chart-controls">
        <h3>Loss</h3>
        <vscode-radio-group id="x-axis" aria-label="x axis">
          <vscode-radio name="x-axis" value="step" label="step"></vscode-radio>
          <vscode-radio name="x-axis" value="epoch" label="epoch"></vscode-radio>
          <vscode-radio name="x-axis" value="tokens" label="tokens seen"></vscode-radio>
        </vscode-radio-group>
        <label class="smoothing" title="Exponential moving average of the train loss over every logged step (validation points are not smoothed)">
          smoothing <input id="smoothing" type="range" min="0" max="0.99" step="0.01" aria-label="Smoothing">
          <output id="smoothing-value" for="smoothing"></output></label>
        <vscode-checkbox id="log-scale" label="log scale"></vscode-checkbox>
        <vscode-button id="reset-zoom" icon="zoom-out" secondary title="Show every point again">Reset zoom</vscode-button>
      </div>
      <div class="chart compare-chart"><canvas id="chart-compare" role="img" aria-label="Train and validation loss of the compared runs"></canvas></div>
      <div class="toolbar" id="legend-wrap"></div>
      <p class="muted hint" id="chart-hint"></p>
    </section>
    <section class="card">
      <div class="toolbar"><h3>Runs</h3><span class="spacer"></span>
        <vscode-checkbox id="all-fields" label="show all config fields"></vscode-checkbox></div>
      <div id="runs" class="table-wrap"></div>
    </section>`;
  const on = (id: string, event: string, handler: (event: Event) => void) =>
    document.getElementById(id)?.addEventListener(event, handler);
  on('add-runs', 'click', () => host.post({ type: 'addRuns' }));
  const exportAs = (format: 'csv' | 'markdown') =>
    host.post({ type: 'export', format, allFields: ui.showAllFields, sort: ui.sort });
  on('export-csv', 'click', () => exportAs('csv'));
  on('export-markdown', 'click', () => exportAs('markdown'));
  on('x-axis', 'change', (event) => {
    const value = (event.target as HTMLElement & { value?: string }).value as ComparisonXAxis | undefined;
    if (!value || !state || value === state.view.xAxis || !state.axes[value]?.available) return;
    sendView({ xAxis: value, range: null }, 0);
  });
  const slider = document.getElementById('smoothing') as HTMLInputElement;
  slider.addEventListener('input', () => {
    (document.getElementById('smoothing-value') as HTMLOutputElement).value = Number(slider.value).toFixed(2);
    sendView({ smoothing: Number(slider.value) });
  });
  const logScale = document.getElementById('log-scale') as Checkable;
  logScale.checked = ui.logScale;
  logScale.addEventListener('change', () => {
    saveUi({ logScale: logScale.checked });
    chart?.setLogScale(ui.logScale);
  });
  on('reset-zoom', 'click', () => chart?.resetZoom());
  const allFields = document.getElementById('all-fields') as Checkable;
  allFields.checked = ui.showAllFields;
  allFields.addEventListener('change', () => {
    saveUi({ showAllFields: allFields.checked });
    renderTable();
  });
  on('legend-wrap', 'click', (event) => {
    const dir = (event.target as HTMLElement).closest<HTMLElement>('[data-run]')?.dataset.run;
    if (!dir || !state) return;
    if (hidden.has(dir)) hidden.delete(dir);
    else hidden.add(dir);
    renderChart();
  });
  const runs = document.getElementById('runs') as HTMLElement;
  runs.addEventListener('click', (event) => {
    const target = event.target as HTMLElement;
    const open = target.closest<HTMLElement>('a.open-run');
    if (open?.dataset.run) {
      event.preventDefault();
      host.post({ type: 'openDashboard', dir: open.dataset.run });
      return;
    }
    const remove = target.closest<HTMLElement>('button.remove-run');
    if (remove?.dataset.run) {
      host.post({ type: 'removeRun', dir: remove.dataset.run });
      return;
    }
    sortBy(target);
  });
  runs.addEventListener('keydown', (event) => {
    if (
      (event.key === 'Enter' || event.key === ' ') &&
      (event.target as HTMLElement).matches('th.sortable')
    ) {
      event.preventDefault();
      sortBy(event.target as HTMLElement);
    }
  });
  chart = createComparisonChart(document.getElementById('chart-compare') as HTMLCanvasElement, (range) =>
    sendView({ range }, 250),
  );
}

/** Click on a header: sort by it; again: the other way; a third time on a text column: back to the chosen order. */
function sortBy(target: HTMLElement): void {
  const column = target.closest<HTMLElement>('th[data-column]')?.dataset.column;
  if (!column) return;
  const current = ui.sort;
  const numeric = target.closest('th')?.classList.contains('num') ?? false;
  const next =
    current?.column !== column
      ? { column, descending: false }
      : current.descending === numeric
        ? null
        : { column, descending: !current.descending };
  saveUi({ sort: next });
  renderTable();
  document.querySelector<HTMLElement>(`#runs th[data-column="${CSS.escape(column)}"]`)?.focus();
}

function paintSwatches(root: HTMLElement): void {
  root.querySelectorAll<HTMLElement>('.swatch[data-color]').forEach((element) => {
    element.style.backgroundColor = element.dataset.color ?? '';
  });
}

function renderTable(): void {
  if (!state) return;
  const runs = document.getElementById('runs') as HTMLElement;
  runs.innerHTML = runsTableHtml(state, ui.showAllFields, ui.sort);
  paintSwatches(runs);
}

function renderChart(): void {
  if (!state) return;
  chart?.update(state, hidden, ui.logScale);
  const legend = document.getElementById('legend-wrap') as HTMLElement;
  legend.innerHTML = legendHtml(state, hidden);
  paintSwatches(legend);
}

function renderControls(s: RunComparisonState): void {
  document.querySelectorAll<Checkable & { value: string }>('#x-axis vscode-radio').forEach((radio) => {
    const option = s.axes[radio.value as ComparisonXAxis];
    radio.checked = radio.value === s.view.xAxis;
    radio.disabled = !option.available;
    radio.title = option.reason ?? option.note ?? '';
  });
  const slider = document.getElementById('smoothing') as HTMLInputElement;
  // Do not move the slider under the user's hand: the state may describe an earlier position.
  if (document.activeElement !== slider) slider.value = String(s.view.smoothing);
  (document.getElementById('smoothing-value') as HTMLOutputElement).value = Number(slider.value).toFixed(2);
  const notes: string[] = [];
  for (const dir of s.missing) notes.push(`<li class="warning">${escapeHtml(dir)} no longer exists.</li>`);
  const waiting = s.runs.filter((run) => !run.hasConfig).map((run) => run.name);
  if (waiting.length > 0)
    notes.push(
      `<li class="muted">No config reported yet by ${escapeHtml(waiting.join(', '))}: its fields are left out of the diff.</li>`,
    );
  if (s.view.xAxis === 'tokens' && s.axes.tokens.note)
    notes.push(`<li class="muted" id="tokens-note">${escapeHtml(s.axes.tokens.note)}</li>`);
  if (!s.axes.tokens.available && s.axes.tokens.reason)
    notes.push(`<li class="muted">${escapeHtml(s.axes.tokens.reason)}</li>`);
  (document.getElementById('notes') as HTMLElement).innerHTML = notes.join('');
  const { shown, total } = s.points;
  const number = (value: number) => Number(value.toPrecision(4)).toLocaleString('en-US');
  const range = s.view.range;
  (document.getElementById('chart-hint') as HTMLElement).textContent =
    (range ? `Zoomed to ${AXIS_TITLES[s.view.xAxis]} ${number(range[0])}–${number(range[1])}. ` : '') +
    (shown < total
      ? `Drawing ${shown.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} points (each stretch keeps its first, last, lowest and highest); zoom in for every point. `
      : '') +
    'Zoom: drag a box or Ctrl+wheel. Pan: Shift+drag.';
  (document.getElementById('title') as HTMLElement).textContent = `Compare ${s.runs.length} runs`;
}

function render(next: RunComparisonState): void {
  if (next.runs.length === 0 && next.missing.length === 0) {
    chart?.destroy();
    chart = undefined;
    state = undefined;
    app.innerHTML =
      '<p class="muted" id="empty">No runs to compare. Select two or more runs in the Runs view and choose "Compare Runs".</p>';
    return;
  }
  if (!chart) skeleton();
  state = next;
  for (const dir of [...hidden]) if (!next.runs.some((run) => run.dir === dir)) hidden.delete(dir);
  renderControls(next);
  renderChart();
  renderTable();
}
