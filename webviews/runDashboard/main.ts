// The run dashboard: loss curves (train + eval), learning rate, throughput, checkpoints and the resolved config
// of one run. The host pushes the full state on every change; charts update in place without animation.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import { CategoryScale, Chart, Legend, type ChartDataset } from 'chart.js';
import type { DashboardRun, RunDashboardState, RunDashboardUiState } from '../../src/protocol/runDashboard';
import {
  axisColors,
  CHART_BASE,
  chartColor,
  registerLineCharts,
  themedScale,
  type ChartColorName,
} from '../shared/charts';
import { connect, escapeHtml } from '../shared/host';
import { pointRadii } from '../shared/pointMarkers';

registerLineCharts(CategoryScale, Legend);

const host = connect<'runDashboard', RunDashboardUiState>((message) => {
  if (message.type === 'state') render(message.state);
});
let ui: RunDashboardUiState = host.uiState() ?? { logScale: false };
const app = document.getElementById('app') as HTMLElement;
const charts = new Map<string, Chart<'line', { x: number; y: number }[]>>();
let shownRun: string | undefined;

const STATUS_TEXT: Record<DashboardRun['status'], string> = {
  pending: 'Pending (queued on Slurm)',
  running: 'Running',
  finished: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
  unknown: 'Unknown (no final state)',
  unreadable: 'Unreadable',
};

function fmt(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return Math.abs(value) >= 1000
    ? Math.round(value).toLocaleString('en-US')
    : Number(value.toPrecision(digits)).toString();
}

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes}m ${Math.round(seconds % 60)}s`
    : `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

function points(x: readonly number[], y: readonly (number | null)[]): { x: number; y: number }[] {
  return x.flatMap((step, i) =>
    y[i] === null || y[i] === undefined || !Number.isFinite(y[i]) ? [] : [{ x: step, y: y[i] as number }],
  );
}

function skeleton(): void {
  app.innerHTML = `
    <header class="toolbar" id="header"></header>
    <p id="error" class="error" hidden></p>
    <section class="toolbar" id="summary" aria-label="Summary"></section>
    <div class="grid">
      <section class="card"><div class="toolbar"><h3>Loss</h3>
        <vscode-checkbox id="log-scale" label="log scale"></vscode-checkbox></div>
        <div class="chart"><canvas id="chart-loss" aria-label="Train and eval loss by step" role="img"></canvas></div></section>
      <section class="card"><div class="toolbar"><h3>Learning rate</h3></div>
        <div class="chart"><canvas id="chart-lr" aria-label="Learning rate by step" role="img"></canvas></div></section>
      <section class="card"><div class="toolbar"><h3>Tokens per second</h3></div>
        <div class="chart"><canvas id="chart-tps" aria-label="Training throughput by step" role="img"></canvas></div></section>
      <section class="card"><div class="toolbar"><h3>Checkpoints</h3></div><div id="checkpoints"></div></section>
    </div>
    <section class="card"><div class="toolbar"><h3>Notices</h3></div><ul id="notices"></ul></section>
    <section class="card"><div class="toolbar"><h3>Configuration</h3></div><div id="config"></div></section>`;
  const checkbox = document.getElementById('log-scale') as HTMLElement & { checked: boolean };
  checkbox.checked = ui.logScale;
  checkbox.addEventListener('change', () => {
    ui = { ...ui, logScale: checkbox.checked };
    host.saveUiState(ui);
    const chart = charts.get('loss');
    if (chart?.options.scales?.y) {
      chart.options.scales.y.type = ui.logScale ? 'logarithmic' : 'linear';
      chart.update('none');
    }
  });
}

function lineChart(
  id: string,
  datasets: ChartDataset<'line', { x: number; y: number }[]>[],
  yLabel: string,
  logScale = false,
): void {
  // How many points each series has (a canvas cannot be read): tests and assistive tools see empty charts.
  const canvasOf = document.getElementById(`chart-${id}`) as HTMLCanvasElement;
  canvasOf.dataset.points = datasets.map((d) => d.data.length).join(',');
  const existing = charts.get(id);
  if (existing) {
    existing.data.datasets.forEach((dataset, i) => (dataset.data = datasets[i].data));
    existing.update('none');
    return;
  }
  const colors = axisColors();
  const canvas = document.getElementById(`chart-${id}`) as HTMLCanvasElement;
  charts.set(
    id,
    new Chart<'line', { x: number; y: number }[]>(canvas, {
      type: 'line',
      data: { datasets },
      options: {
        ...CHART_BASE,
        parsing: false,
        interaction: { mode: 'nearest', intersect: false },
        plugins: { legend: { labels: { color: colors.text } } },
        scales: {
          x: { type: 'linear', ...themedScale(colors, 'step') },
          y: { type: logScale ? 'logarithmic' : 'linear', ...themedScale(colors, yLabel) },
        },
      },
    }),
  );
}

function dataset(
  label: string,
  data: { x: number; y: number }[],
  colorName: ChartColorName,
  dots = false,
): ChartDataset<'line', { x: number; y: number }[]> {
  const color = chartColor(colorName);
  return {
    label,
    data,
    borderColor: color,
    backgroundColor: color,
    pointRadius: dots ? 3 : pointRadii(data, 0),
    borderWidth: 2,
    tension: 0,
  };
}

function renderRun(run: DashboardRun, runs: RunDashboardState['runs']): void {
  const header = document.getElementById('header') as HTMLElement;
  const options = runs
    .map(
      (r) =>
        `<vscode-option value="${escapeHtml(r.dir)}" ${r.dir === run.dir ? 'selected' : ''}>${escapeHtml(r.name)} (${r.status})</vscode-option>`,
    )
    .join('');
  header.innerHTML = `
    <h2 id="run-name">${escapeHtml(run.name)}</h2>
    <span class="status status-${run.status}" id="run-status">${STATUS_TEXT[run.status]}</span>
    <span class="muted" id="run-description">${escapeHtml(run.description)}</span>
    <span class="spacer"></span>
    ${runs.length > 1 ? `<vscode-single-select id="run-select" aria-label="Run">${options}</vscode-single-select>` : ''}
    <vscode-button id="open-config" secondary>Open config</vscode-button>
    <vscode-button id="reveal" secondary>Reveal folder</vscode-button>
    ${run.status === 'running' || run.status === 'pending' ? '<vscode-button id="cancel">Cancel training</vscode-button>' : ''}`;
  header.querySelector('#open-config')?.addEventListener('click', () => host.post({ type: 'openConfig' }));
  header.querySelector('#reveal')?.addEventListener('click', () => host.post({ type: 'revealFolder' }));
  header.querySelector('#cancel')?.addEventListener('click', () => host.post({ type: 'cancel' }));
  header.querySelector('#run-select')?.addEventListener('change', (event) => {
    const dir = (event.target as HTMLElement & { value: string }).value;
    if (dir && dir !== run.dir) host.post({ type: 'selectRun', dir });
  });

  const error = document.getElementById('error') as HTMLElement;
  error.hidden = !run.error;
  error.innerHTML = run.error
    ? `${escapeHtml(run.error)} ${run.hasTraceback ? '<a href="#" id="traceback">Open traceback</a>' : ''}`
    : '';
  error.querySelector('#traceback')?.addEventListener('click', (event) => {
    event.preventDefault();
    host.post({ type: 'openTraceback' });
  });

  const lastLoss = run.steps.loss[run.steps.loss.length - 1];
  const lastEval = run.evals.evalLoss[run.evals.evalLoss.length - 1];
  // A value from an earlier step than the run is at says which step it belongs to ("2.58 @ step 10").
  const atStep = (steps: number[]) => {
    const last = steps[steps.length - 1];
    return last !== undefined && last !== run.step ? ` @ step ${last}` : '';
  };
  const lastTps = run.steps.tokensPerSecond[run.steps.tokensPerSecond.length - 1];
  const facts: [string, string][] = [
    ['Step', `${run.step}${run.totalSteps ? ` / ${run.totalSteps}` : ''}`],
    ['Train loss', `${fmt(lastLoss)}${atStep(run.steps.step)}`],
    ['Eval loss', `${fmt(lastEval)}${atStep(run.evals.step)}`],
    ['Best', run.bestCheckpoint ? `${run.bestCheckpoint} (${fmt(run.bestEvalLoss)})` : '–'],
    [
      'Tokens/s',
      `${fmt(lastTps)}${run.meanTokensPerSecond !== null ? ` (run mean ${fmt(run.meanTokensPerSecond)})` : ''}`,
    ],
    ['Model', run.model ?? '–'],
    ['Preset', run.preset ?? '–'],
    ['Device', run.device ?? '–'],
  ];
  if (run.slurm)
    facts.push(['Slurm job', `${run.slurm.jobId} · ${run.slurm.state ?? 'state not known yet'}`]);
  if (run.etaSeconds !== null) facts.push(['Time left', duration(run.etaSeconds)]);
  if (run.startedAt) {
    const end = run.status === 'running' ? Date.now() : (run.endedAt ?? Date.now());
    facts.push([run.status === 'running' ? 'Elapsed' : 'Duration', duration((end - run.startedAt) / 1000)]);
  }
  (document.getElementById('summary') as HTMLElement).innerHTML = facts
    .map(
      ([k, v]) =>
        `<div class="card fact"><div class="muted">${escapeHtml(k)}</div><div class="value">${escapeHtml(v)}</div></div>`,
    )
    .join('');

  lineChart(
    'loss',
    [
      dataset('train loss', points(run.steps.step, run.steps.loss), 'blue'),
      dataset('eval loss', points(run.evals.step, run.evals.evalLoss), 'orange', true),
    ],
    'loss',
    ui.logScale,
  );
  lineChart(
    'lr',
    [dataset('learning rate', points(run.steps.step, run.steps.learningRate), 'purple')],
    'learning rate',
  );
  lineChart(
    'tps',
    [dataset('tokens/s', points(run.steps.step, run.steps.tokensPerSecond), 'green')],
    'tokens/s',
  );

  (document.getElementById('checkpoints') as HTMLElement).innerHTML = run.checkpoints.length
    ? `<table><thead><tr><th>Checkpoint</th><th class="num">Step</th><th class="num">Eval loss</th><th></th></tr></thead><tbody>${run.checkpoints
        .map(
          (c) =>
            `<tr><td>${escapeHtml(c.name)}</td><td class="num">${c.step ?? '–'}</td><td class="num">${fmt(c.evalLoss)}</td><td>${
              c.isBest
                ? '<span class="codicon codicon-star-full" aria-hidden="true"></span> best'
                : c.complete
                  ? ''
                  : 'saving…'
            }</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p class="muted">No checkpoints yet.</p>';
  (document.getElementById('notices') as HTMLElement).innerHTML = run.notices.length
    ? run.notices
        .map(
          (n) =>
            `<li class="${n.level === 'warning' ? 'warning' : ''}">${escapeHtml(n.message)} <span class="muted">(${escapeHtml(n.code)})</span></li>`,
        )
        .join('')
    : '<li class="muted">None.</li>';
  (document.getElementById('config') as HTMLElement).innerHTML = run.config.length
    ? `<table><tbody>${run.config.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>`
    : '<p class="muted">The trainer has not reported its configuration yet.</p>';
}

function render(state: RunDashboardState): void {
  if (!state.run) {
    charts.forEach((chart) => chart.destroy());
    charts.clear();
    shownRun = undefined;
    app.innerHTML = '<p class="muted">No training runs yet. Run "MedQA: Train adapter" to start one.</p>';
    return;
  }
  if (shownRun !== state.run.dir) {
    // Another run: fresh charts, so series of different runs never mix.
    charts.forEach((chart) => chart.destroy());
    charts.clear();
    skeleton();
    shownRun = state.run.dir;
  }
  renderRun(state.run, state.runs);
}
