// The dataset panel: counts by collection / question type / split, the answer-length histogram in tokens with the
// max_length cut, duplicate groups ("open both") and the import report (click a problem to open its file at the line).
// The host sends the full state on `ready` and on every change; the selected tab survives reloads (setState).
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type {
  DatasetPanelRequest,
  DatasetPanelState,
  DatasetTab,
  TokenPanelState,
} from '../../src/protocol/datasetPanel';
import { connect, escapeHtml } from '../shared/host';
import { barChart, onThemeChange, palette } from './charts';

interface UiState {
  tab: DatasetTab;
}

const TABS: DatasetTab[] = ['overview', 'tokens', 'duplicates', 'report'];
const app = document.getElementById('app') as HTMLElement;
let state: DatasetPanelState | undefined;

const host = connect<'dataset', UiState>((message) => {
  if (message.type === 'state') {
    state = message.state;
    render();
  } else if (message.type === 'showTab') {
    selectTab(message.tab);
  }
});
let ui: UiState = host.uiState() ?? { tab: 'overview' };

const fmt = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, word: string) => `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;
const pct = (part: number, whole: number) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : '–');
const e = escapeHtml;

function button(
  label: string,
  action: string,
  data: Record<string, string | number> = {},
  secondary = false,
): string {
  const attributes = Object.entries(data)
    .map(([key, value]) => `data-${key}="${e(String(value))}"`)
    .join(' ');
  return `<vscode-button ${secondary ? 'secondary' : ''} data-action="${action}" ${attributes}>${e(label)}</vscode-button>`;
}

function skeleton(): void {
  app.innerHTML = `
    <header>
      <h2 id="title">Dataset</h2>
      <p id="summary" class="muted"></p>
      <div class="toolbar">
        ${button('Import…', 'run', { command: 'import' }, true)}
        ${button('Find Duplicates', 'run', { command: 'findDuplicates' }, true)}
        ${button('Create Split…', 'run', { command: 'split' }, true)}
        ${button('Export for Training…', 'run', { command: 'export' })}
      </div>
    </header>
    <p id="error" class="error" hidden></p>
    <vscode-tabs id="tabs" selected-index="${TABS.indexOf(ui.tab)}">
      <vscode-tab-header slot="header" id="tab-overview">Overview</vscode-tab-header>
      <vscode-tab-panel class="tab-body">
        <div class="grid">
          <section class="card"><h3>Pairs by collection</h3>
            <div class="chart"><canvas id="chart-collections" role="img" aria-label="Answered and unanswered pairs per collection"></canvas></div></section>
          <section class="card"><h3>Pairs by question type</h3>
            <div class="chart"><canvas id="chart-qtypes" role="img" aria-label="Pairs per question type"></canvas></div></section>
          <section class="card"><h3>Split</h3><div id="split"></div>
            <div class="chart" id="split-chart-box"><canvas id="chart-split" role="img" aria-label="Pairs per split"></canvas></div></section>
        </div>
      </vscode-tab-panel>
      <vscode-tab-header slot="header" id="tab-tokens">Token lengths</vscode-tab-header>
      <vscode-tab-panel class="tab-body">
        <section class="card"><div id="tokens"></div>
          <div class="chart" id="tokens-chart-box"><canvas id="chart-tokens" role="img" aria-label="Answer length histogram in tokens"></canvas></div></section>
      </vscode-tab-panel>
      <vscode-tab-header slot="header" id="tab-duplicates">Duplicates</vscode-tab-header>
      <vscode-tab-panel class="tab-body"><div id="duplicates"></div></vscode-tab-panel>
      <vscode-tab-header slot="header" id="tab-report">Import report</vscode-tab-header>
      <vscode-tab-panel class="tab-body"><div id="report"></div></vscode-tab-panel>
    </vscode-tabs>`;
  const tabs = document.getElementById('tabs') as HTMLElement & { selectedIndex: number };
  tabs.addEventListener('vsc-tabs-select', (event) => {
    ui = { tab: TABS[(event as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex] ?? 'overview' };
    host.saveUiState(ui);
    render();
  });
}

function selectTab(tab: DatasetTab): void {
  ui = { tab };
  host.saveUiState(ui);
  const tabs = document.getElementById('tabs') as (HTMLElement & { selectedIndex: number }) | null;
  if (tabs) tabs.selectedIndex = TABS.indexOf(tab);
  render();
}

function setHtml(id: string, html: string): void {
  const element = document.getElementById(id);
  if (element && element.innerHTML !== html) element.innerHTML = html;
}

function show(id: string, visible: boolean): void {
  const element = document.getElementById(id);
  if (element) element.hidden = !visible;
}

function render(): void {
  if (!state) return;
  if (!document.getElementById('tabs')) skeleton();
  const s = state;
  const t = s.totals;
  const error = document.getElementById('error') as HTMLElement;
  error.hidden = !s.error;
  error.textContent = s.error ?? '';
  setHtml(
    'summary',
    s.status === 'loading' && t.pairs === 0
      ? 'Loading…'
      : t.pairs === 0
        ? 'No dataset imported yet.'
        : `${fmt(t.pairs)} pairs · ${fmt(t.answered)} answered · ${fmt(t.unanswered)} unanswered · ${fmt(t.excluded)} excluded · ` +
          `${fmt(t.flagged)} flagged · ${fmt(t.edited)} edited · ${fmt(t.files)} files from ${e(t.sources.join(', '))}`,
  );
  setHtml(
    'tab-duplicates',
    `Duplicates${s.duplicates ? ` (${fmt(s.duplicates.questionGroups + s.duplicates.answerGroups)})` : ''}`,
  );
  setHtml('tab-report', `Import report${s.problems.total ? ` (${fmt(s.problems.total)})` : ''}`);
  // Charts only draw correctly in a visible tab; the others render when selected.
  if (ui.tab === 'overview') renderOverview(s);
  if (ui.tab === 'tokens') renderTokens(s.tokens);
  if (ui.tab === 'duplicates') renderDuplicates(s);
  if (ui.tab === 'report') renderReport(s);
}

function renderOverview(s: DatasetPanelState): void {
  const colors = palette();
  barChart(
    document.getElementById('chart-collections') as HTMLCanvasElement,
    s.byCollection.map((row) => row.name),
    [
      { label: 'answered', data: s.byCollection.map((row) => row.answered), color: colors.blue },
      {
        label: 'unanswered',
        data: s.byCollection.map((row) => row.pairs - row.answered),
        color: colors.muted,
      },
    ],
    { horizontal: true, stacked: true },
  );
  barChart(
    document.getElementById('chart-qtypes') as HTMLCanvasElement,
    s.byQtype.map((row) => row.name),
    [
      { label: 'answered', data: s.byQtype.map((row) => row.answered), color: colors.green },
      { label: 'unanswered', data: s.byQtype.map((row) => row.pairs - row.answered), color: colors.muted },
    ],
    { horizontal: true, stacked: true },
  );
  show('split-chart-box', s.split !== null);
  if (!s.split) {
    setHtml(
      'split',
      `<p class="muted">No split yet.</p>${button('Create Split…', 'run', { command: 'split' })}`,
    );
    return;
  }
  const split = s.split;
  setHtml(
    'split',
    `<p>Seed ${e(String(split.seed))}, ratios ${e(split.ratios.map((r) => Math.round(Number(r) * 100)).join(' / '))}` +
      (split.stale
        ? ' · <span class="warning">the source data changed since this split was made</span>'
        : '') +
      '</p>',
  );
  const splitColors = [colors.blue, colors.purple, colors.orange, colors.red, colors.muted];
  barChart(
    document.getElementById('chart-split') as HTMLCanvasElement,
    split.counts.map((c) => c.name),
    split.counts.map((c, i) => ({
      label: c.name,
      data: split.counts.map((d) => (d.name === c.name ? d.pairs : 0)),
      color: splitColors[i],
    })),
    { stacked: true },
  );
}

function renderTokens(tokens: TokenPanelState): void {
  show('tokens-chart-box', tokens.status === 'ready');
  if (tokens.status === 'missing') {
    setHtml(
      'tokens',
      `<p class="warning">${e(tokens.message)}</p>${button('Set Tokenizer Folder…', 'setTokenizer')}`,
    );
    return;
  }
  if (tokens.status === 'computing') {
    const progress = tokens.total ? ` ${fmt(tokens.done)} / ${fmt(tokens.total)}` : '';
    setHtml(
      'tokens',
      `<p class="toolbar"><vscode-progress-ring></vscode-progress-ring> Counting tokens with ${e(tokens.tokenizer)}…${progress}</p>`,
    );
    return;
  }
  if (tokens.status === 'error') {
    setHtml(
      'tokens',
      `<p class="error">Token statistics failed: ${e(tokens.message)}</p>${button('Try Again', 'refreshTokens')}`,
    );
    return;
  }
  // Empty buckets up to a little past max_length, so the cut is on the chart even when every example is shorter.
  const { bucketSize } = tokens.histogram;
  const counts = [...tokens.histogram.counts];
  while (counts.length * bucketSize <= tokens.maxLength * 1.05) counts.push(0);
  const { answer, prompt, total } = tokens;
  setHtml(
    'tokens',
    `<h3>Training example length (chat template + question + answer) in tokens</h3>
     <p><strong>${fmt(tokens.truncated)} of ${fmt(tokens.examples)} training examples (${pct(tokens.truncated, tokens.examples)})</strong>
      are longer than max_length ${fmt(tokens.maxLength)} (setting <code>medqa.maxLength</code>) and lose the end of their answer;
      that cuts ${(100 * tokens.answerTokensCutShare).toFixed(1)}% of all answer tokens.
      ${tokens.answerLost ? `<span class="warning">${fmt(tokens.answerLost)} prompts alone fill max_length.</span>` : ''}</p>
     <p class="muted">Answers: median ${fmt(answer.p50)}, p90 ${fmt(answer.p90)}, p99 ${fmt(answer.p99)}, max ${fmt(answer.max)} tokens ·
      prompts: median ${fmt(prompt.p50)} · whole examples: median ${fmt(total.p50)}, p90 ${fmt(total.p90)}, p99 ${fmt(total.p99)}.
      ${tokens.unrenderable ? `${fmt(tokens.unrenderable)} pairs cannot be rendered by the chat template and are not counted. ` : ''}
      Tokenizer: ${e(tokens.tokenizer)} (${tokens.seconds.toFixed(1)} s).</p>`,
  );
  const colors = palette();
  barChart(
    document.getElementById('chart-tokens') as HTMLCanvasElement,
    counts.map((_, i) => `${i * bucketSize}`),
    [{ label: 'examples', data: counts, color: colors.blue }],
    {
      xTitle: `example length in tokens (bins of ${bucketSize})`,
      yTitle: 'examples',
      cut: {
        index: tokens.maxLength / bucketSize,
        label: `max_length ${fmt(tokens.maxLength)}: ${pct(tokens.truncated, tokens.examples)} cut`,
      },
    },
  );
}

function pairLink(id: string): string {
  return `<a href="#" data-action="openPair" data-id="${e(id)}"><code>${e(id)}</code></a>`;
}

function renderDuplicates(s: DatasetPanelState): void {
  const d = s.duplicates;
  if (!d) {
    setHtml(
      'duplicates',
      `<p class="muted">No duplicate scan yet.</p>${button('Find Duplicates', 'run', { command: 'findDuplicates' })}`,
    );
    return;
  }
  const rows = d.groups
    .map(
      (
        g,
      ) => `<tr><td>${e(String(g.kind))}</td><td>${g.match === 'exact' ? 'exact' : `near (≥ ${e(Number(g.similarity).toFixed(2))})`}</td>
        <td class="num">${g.ids.length}</td><td>${e(g.sample)}</td>
        <td>${g.ids.slice(0, 4).map(pairLink).join(' ')}${g.ids.length > 4 ? ` <span class="muted">+${g.ids.length - 4}</span>` : ''}</td>
        <td>${button('Open Both', 'openBoth', { left: g.ids[0], right: g.ids[1] }, true)}</td></tr>`,
    )
    .join('');
  setHtml(
    'duplicates',
    `<p>${plural(d.questionGroups, 'group')} of duplicate questions, ${fmt(d.answerGroups)} of duplicate answers
      (similarity ≥ ${e(String(d.threshold))}, scanned ${e(new Date(d.createdAt).toLocaleString())}).
      ${d.groups.length < d.questionGroups + d.answerGroups ? `The ${d.groups.length} largest are listed.` : ''}
      The split keeps each group of duplicate questions in one split.</p>
     <table><thead><tr><th>Of</th><th>Match</th><th class="num">Pairs</th><th>Text</th><th>Pairs</th><th></th></tr></thead>
     <tbody>${rows}</tbody></table>`,
  );
}

function renderReport(s: DatasetPanelState): void {
  if (s.problems.total === 0) {
    setHtml(
      'report',
      `<p class="muted">${s.totals.pairs ? 'The import found no problems.' : 'Nothing imported yet.'}</p>`,
    );
    return;
  }
  const rows = s.problems.rows
    .map((p) => {
      const place = `${e(p.file)}${p.line !== undefined ? `:${p.line}` : ''}`;
      const file = p.openable
        ? `<a href="#" data-action="openProblem" data-index="${p.index}">${place}</a>`
        : place;
      return `<tr><td>${file}</td><td>${e(p.kind)}</td><td>${e(p.message)}</td></tr>`;
    })
    .join('');
  const more =
    s.problems.total > s.problems.rows.length
      ? `<p class="muted">First ${s.problems.rows.length} of ${fmt(s.problems.total)} shown.</p>`
      : '';
  setHtml(
    'report',
    `<p>${fmt(s.problems.total)} problem${s.problems.total === 1 ? '' : 's'}; everything else was imported. Click a file to open it at the line.</p>
     <table><thead><tr><th>File</th><th>Kind</th><th>Problem</th></tr></thead><tbody>${rows}</tbody></table>${more}`,
  );
}

app.addEventListener('click', (event) => {
  const target = (event.target as HTMLElement).closest<HTMLElement>('[data-action]');
  if (!target) return;
  event.preventDefault();
  const data = target.dataset;
  const request: DatasetPanelRequest | undefined =
    data.action === 'openPair'
      ? { type: 'openPair', id: data.id ?? '' }
      : data.action === 'openBoth'
        ? { type: 'openBoth', left: data.left ?? '', right: data.right ?? '' }
        : data.action === 'openProblem'
          ? { type: 'openProblem', index: Number(data.index) }
          : data.action === 'setTokenizer'
            ? { type: 'setTokenizer' }
            : data.action === 'refreshTokens'
              ? { type: 'refreshTokens' }
              : data.action === 'run'
                ? { type: 'run', command: data.command as 'import' | 'findDuplicates' | 'split' | 'export' }
                : undefined;
  if (request) host.post(request);
});

onThemeChange(render);
