// The Metrics panel: base vs fine-tuned for one evaluation (table with intervals and the paired test, a bar chart),
// a sortable per-question-type table, hygiene warnings, and export. The host pushes the full state on every change.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import { Chart } from 'chart.js';
import type {
  EvaluationSummary,
  MetricsPanelState,
  MetricsPanelUiState,
} from '../../src/protocol/metricsPanel';
import { isGroundingMetric, metricLabel } from '../../src/evaluation/format';
import { axisColors, CHART_BASE, chartColor, registerBarCharts, themedScale } from '../shared/charts';
import { connect, escapeHtml } from '../shared/host';
import { gradesHtml } from './grades';
import { hygieneHtml, overallTableHtml, qtypeTableHtml, DEFAULT_SORT } from './tables';

registerBarCharts();

const host = connect<'metrics', MetricsPanelUiState>((message) => {
  if (message.type === 'state') render(message.state);
});
const saved = host.uiState();
let ui: MetricsPanelUiState = saved ?? {};
// After a window reload the host may not know which folder this panel showed; the saved state does.
if (ui.evaluationDir) host.post({ type: 'restore', dir: ui.evaluationDir });

const app = document.getElementById('app') as HTMLElement;
let state: MetricsPanelState | undefined;
let chart: Chart<'bar', (number | null)[], string> | undefined;

/** Keeps the view state with setState, and on the host too (code-server can lose webview state on reload). */
function saveUi(patch: Partial<MetricsPanelUiState>, tellHost = true): void {
  ui = { ...ui, ...patch, ...(tellHost ? { savedAt: Date.now() } : {}) };
  host.saveUiState(ui);
  if (tellHost) host.post({ type: 'saveUi', ui });
}

const STATUS_TEXT: Record<EvaluationSummary['status'], string> = {
  running: 'Running',
  finished: 'Finished',
  cancelled: 'Cancelled',
  failed: 'Failed',
  unknown: 'Results',
};

function factsHtml(e: EvaluationSummary): string {
  const facts: [string, string | null, string?][] = [
    [
      'Checkpoint',
      e.checkpoint ? e.checkpoint.split(/[\\/]/).slice(-2).join('/') : null,
      e.checkpoint ?? undefined,
    ],
    [
      'Base model',
      e.baseModel ? (e.baseModel.split(/[\\/]/).pop() ?? e.baseModel) : null,
      e.baseModel ?? undefined,
    ],
    ['Test data', e.testFile ? e.testFile.split(/[\\/]/).slice(-2).join('/') : null, e.testFile ?? undefined],
    [
      'Mode',
      e.mode ?? null,
      e.mode?.startsWith('RAG')
        ? 'Both models answered with the top-k retrieved training answers in their prompt'
        : undefined,
    ],
    ['Examples', e.n === null ? null : `${e.n}${e.paired ? ' (paired)' : ''}`],
    ['Decoding', e.sides.adapter?.decoding ?? e.sides.base?.decoding ?? null],
    ['Device', e.sides.adapter?.device ?? e.sides.base?.device ?? null],
    [
      'Retrieval index',
      e.retrieval?.index ? (e.retrieval.index.split(/[\\/]/).pop() ?? null) : null,
      e.retrieval?.index ?? undefined,
    ],
  ];
  return facts
    .filter(([, value]) => value)
    .map(
      ([label, value, title]) =>
        `<div class="fact card"${title ? ` title="${escapeHtml(title)}"` : ''}><div class="muted">${label}</div><div class="value">${escapeHtml(value as string)}</div></div>`,
    )
    .join('');
}

function skeleton(): void {
  app.innerHTML = `
    <header class="toolbar">
      <h2 id="title">Evaluation</h2><span id="status" class="status"></span><span class="spacer"></span>
      <vscode-single-select id="evaluation" aria-label="Evaluation"></vscode-single-select>
    </header>
    <div class="toolbar" role="toolbar" aria-label="Actions">
      <vscode-button id="export-csv" icon="export">Export CSV</vscode-button>
      <vscode-button id="export-markdown" icon="markdown" secondary>Export Markdown</vscode-button>
      <vscode-button id="predictions-adapter" icon="list-flat" secondary>Fine-tuned answers</vscode-button>
      <vscode-button id="predictions-base" icon="list-flat" secondary>Base answers</vscode-button>
      <vscode-button id="grade-answers" icon="checklist" secondary>Grade answers</vscode-button>
      <vscode-button id="reveal" icon="folder-opened" secondary>Reveal folder</vscode-button>
    </div>
    <section id="problems" class="card problems" hidden></section>
    <ul id="notes" class="notes"></ul>
    <section class="toolbar facts" id="facts" aria-label="Evaluation facts"></section>
    <section class="card"><h3>Base vs fine-tuned</h3><div id="overall" class="table-wrap"></div></section>
    <section class="card" id="grades-card"><div class="toolbar"><h3>Human grades</h3><span class="spacer"></span>
      <vscode-button id="export-grades-csv" icon="export" secondary>Grades CSV</vscode-button>
      <vscode-button id="export-grades-markdown" icon="markdown" secondary>Grades Markdown</vscode-button></div>
      <div id="grades"></div></section>
    <div class="grid">
      <section class="card" id="chart-card"><h3>Scores (0–100)</h3>
        <div class="chart"><canvas id="chart" role="img" aria-label="Bar chart of base and fine-tuned scores"></canvas></div></section>
      <section class="card"><h3>Prediction hygiene</h3><div id="hygiene"></div></section>
    </div>
    <section class="card"><div class="toolbar"><h3>By question type</h3><span class="spacer"></span>
      <label for="qtype-metric" class="muted">Metric</label><vscode-single-select id="qtype-metric"></vscode-single-select></div>
      <div id="qtypes" class="table-wrap"></div></section>
    <p id="empty" class="muted" hidden></p>`;
  const on = (id: string, handler: () => void) =>
    document.getElementById(id)?.addEventListener('click', handler);
  on('export-csv', () => host.post({ type: 'export', format: 'csv' }));
  on('export-markdown', () => host.post({ type: 'export', format: 'markdown' }));
  on('predictions-adapter', () => host.post({ type: 'openPredictions', side: 'adapter' }));
  on('predictions-base', () => host.post({ type: 'openPredictions', side: 'base' }));
  on('reveal', () => host.post({ type: 'revealFolder' }));
  on('grade-answers', () => host.post({ type: 'grade' }));
  on('export-grades-csv', () => host.post({ type: 'exportGrades', format: 'csv' }));
  on('export-grades-markdown', () => host.post({ type: 'exportGrades', format: 'markdown' }));
  document.getElementById('evaluation')?.addEventListener('change', (event) => {
    const dir = (event.target as HTMLSelectElement).value;
    if (dir && dir !== state?.evaluation?.dir) host.post({ type: 'selectEvaluation', dir });
  });
  document.getElementById('qtype-metric')?.addEventListener('change', (event) => {
    const metric = (event.target as HTMLSelectElement).value;
    if (!metric || metric === ui.qtypeMetric) return;
    saveUi({ qtypeMetric: metric });
    renderQtypes();
  });
  const qtypes = document.getElementById('qtypes') as HTMLElement;
  const sortBy = (target: EventTarget | null) => {
    const column = (target as HTMLElement | null)?.closest<HTMLElement>('th[data-column]')?.dataset.column;
    if (!column) return;
    const current = ui.sort ?? DEFAULT_SORT;
    saveUi({
      sort: { column, descending: current.column === column ? !current.descending : column !== 'qtype' },
    });
    renderQtypes();
    qtypes.querySelector<HTMLElement>(`th[data-column="${column}"]`)?.focus();
  };
  qtypes.addEventListener('click', (event) => sortBy(event.target));
  qtypes.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      sortBy(event.target);
    }
  });
  document.getElementById('hygiene')?.addEventListener('click', (event) => {
    const link = (event.target as HTMLElement).closest<HTMLElement>('[data-id]');
    if (link) event.preventDefault();
    if (link?.dataset.id && (link.dataset.side === 'base' || link.dataset.side === 'adapter')) {
      host.post({ type: 'openPrediction', side: link.dataset.side, id: link.dataset.id });
    }
  });
}

function setSelect(
  id: string,
  options: { value: string; label: string; description?: string }[],
  selected: string | undefined,
): void {
  const select = document.getElementById(id) as (HTMLElement & { value: string }) | null;
  if (!select) return;
  select.innerHTML = options
    .map(
      (o) =>
        `<vscode-option value="${escapeHtml(o.value)}"${o.value === selected ? ' selected' : ''}${o.description ? ` description="${escapeHtml(o.description)}"` : ''}>${escapeHtml(o.label)}</vscode-option>`,
    )
    .join('');
  if (selected !== undefined) select.value = selected;
}

function qtypeMetric(e: EvaluationSummary): string {
  return ui.qtypeMetric && e.metrics.includes(ui.qtypeMetric)
    ? ui.qtypeMetric
    : e.metrics.includes('f1')
      ? 'f1'
      : (e.metrics[0] ?? '');
}

function renderQtypes(): void {
  const e = state?.evaluation;
  const target = document.getElementById('qtypes');
  if (!e || !target) return;
  target.innerHTML = qtypeTableHtml(e, qtypeMetric(e), ui.sort ?? DEFAULT_SORT);
}

function renderChart(e: EvaluationSummary): void {
  // Perplexity and the grounding proxies have other scales than the text metrics: the table shows them.
  const rows = e.overall.filter((r) => r.metric !== 'perplexity' && !isGroundingMetric(r.metric));
  const scale = (metric: string, value: number | null | undefined) =>
    value === null || value === undefined
      ? null
      : ['rouge_l', 'meteor'].includes(metric)
        ? value * 100
        : value;
  const labels = rows.map((r) =>
    ['rouge_l', 'meteor'].includes(r.metric) ? `${metricLabel(r.metric)} ×100` : metricLabel(r.metric),
  );
  const datasets = [
    ...(rows.some((r) => r.base)
      ? [
          {
            label: 'Base',
            data: rows.map((r) => scale(r.metric, r.base?.value)),
            backgroundColor: chartColor('purple'),
          },
        ]
      : []),
    {
      label: 'Fine-tuned',
      data: rows.map((r) => scale(r.metric, r.adapter?.value)),
      backgroundColor: chartColor('blue'),
    },
    ...(rows.some((r) => r.retrieval)
      ? [
          {
            label: 'Retrieval-only',
            data: rows.map((r) => scale(r.metric, r.retrieval?.value)),
            backgroundColor: chartColor('green'),
          },
        ]
      : []),
  ];
  const colors = axisColors();
  document.getElementById('chart-card')?.toggleAttribute('hidden', rows.length === 0);
  if (chart) {
    chart.data.labels = labels;
    chart.data.datasets = datasets;
    chart.update('none');
    return;
  }
  chart = new Chart(document.getElementById('chart') as HTMLCanvasElement, {
    type: 'bar',
    data: { labels, datasets },
    options: {
      ...CHART_BASE,
      scales: { x: themedScale(colors), y: { beginAtZero: true, ...themedScale(colors) } },
      plugins: { legend: { labels: { color: colors.text } } },
    },
  });
}

let firstState = true;

function render(next: MetricsPanelState): void {
  // A restored panel whose saved state the browser dropped or kept stale takes the host's newer copy.
  if (firstState && next.ui && (next.ui.savedAt ?? 0) > (saved?.savedAt ?? 0)) ui = { ...ui, ...next.ui };
  firstState = false;
  state = next;
  if (!document.getElementById('overall')) skeleton();
  const e = next.evaluation;
  setSelect(
    'evaluation',
    next.evaluations.map((item) => ({ value: item.dir, label: item.label, description: item.description })),
    e?.dir,
  );
  const empty = document.getElementById('empty') as HTMLElement;
  document.querySelectorAll<HTMLElement>('.card, .facts, #notes').forEach((el) => (el.hidden = !e));
  if (!e) {
    empty.hidden = false;
    empty.textContent = next.evaluations.length
      ? 'Choose an evaluation above.'
      : 'No evaluations yet. Right-click a checkpoint in the Checkpoints view and choose "Evaluate Checkpoint…".';
    return;
  }
  empty.hidden = true;
  if (ui.evaluationDir !== e.dir) saveUi({ evaluationDir: e.dir }, false);
  (document.getElementById('title') as HTMLElement).textContent = e.title;
  const status = document.getElementById('status') as HTMLElement;
  status.textContent = STATUS_TEXT[e.status];
  status.className = `status status-${e.status}`;
  document.getElementById('predictions-base')?.toggleAttribute('disabled', !e.sides.base?.predictionsFile);
  document
    .getElementById('predictions-adapter')
    ?.toggleAttribute('disabled', !e.sides.adapter?.predictionsFile);
  const problems = document.getElementById('problems') as HTMLElement;
  problems.hidden = e.problems.length === 0;
  problems.innerHTML = e.problems.length
    ? `<p class="error"><strong>Some results could not be read</strong>; everything else is shown.</p><ul>${e.problems
        .map((p) => `<li><code>${escapeHtml(p)}</code></li>`)
        .join('')}</ul>`
    : '';
  (document.getElementById('notes') as HTMLElement).innerHTML = e.notes
    .map((n) => `<li class="warning">${escapeHtml(n)}</li>`)
    .join('');
  (document.getElementById('facts') as HTMLElement).innerHTML = factsHtml(e);
  (document.getElementById('overall') as HTMLElement).innerHTML = overallTableHtml(e);
  setSelect(
    'qtype-metric',
    e.metrics.map((m) => ({ value: m, label: metricLabel(m) })),
    qtypeMetric(e),
  );
  renderQtypes();
  (document.getElementById('hygiene') as HTMLElement).innerHTML = hygieneHtml(e);
  (document.getElementById('grades') as HTMLElement).innerHTML = gradesHtml(next.grades);
  document.getElementById('export-grades-csv')?.toggleAttribute('disabled', !next.grades);
  document.getElementById('export-grades-markdown')?.toggleAttribute('disabled', !next.grades);
  renderChart(e);
}
