// The Playground: a question answered by the base model and the fine-tuned checkpoint side by side, streamed from
// their ONNX exports, with decoding settings, diffs and "Save for grading". The host owns the state and pushes it
// whole on every change and column by column while tokens stream; this app renders it and sends requests back.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type {
  PlaygroundColumn,
  PlaygroundDecoding,
  PlaygroundRequest,
  PlaygroundSide,
  PlaygroundState,
} from '../../src/protocol/playground';
import { columnStats } from '../../src/inference/playgroundColumns';
import { citedNumbers } from '../../src/retrieval/citations';
import { connect, escapeHtml } from '../shared/host';
import { citedAnswerHtml, handleSourceClicks, sourcesHtml } from '../shared/sources';

/** Ids of the source items: `source-1`, `source-2`… (a citation [n] links to `#source-n`). */
const SOURCE_PREFIX = 'source';

/** What the app keeps across reloads itself: the question and settings being edited, not yet sent. */
interface UiState {
  draft: string;
  decoding: Partial<Record<keyof PlaygroundDecoding, string>>;
}

const SIDES: readonly PlaygroundSide[] = ['base', 'adapter'];
const STATUS_TEXT: Record<PlaygroundColumn['status'], string> = {
  idle: '',
  loading: 'loading the model…',
  generating: 'answering…',
  finished: 'finished',
  error: 'failed',
};
const DECODING_FIELDS: {
  key: keyof PlaygroundDecoding;
  label: string;
  step: string;
  min: string;
  max: string;
}[] = [
  { key: 'maxNewTokens', label: 'Max new tokens', step: '1', min: '1', max: '4096' },
  { key: 'temperature', label: 'Temperature (0 = greedy)', step: '0.05', min: '0', max: '2' },
  { key: 'topP', label: 'Top-p', step: '0.05', min: '0.01', max: '1' },
  { key: 'seed', label: 'Seed (empty = random)', step: '1', min: '0', max: '2147483647' },
];

const app = document.getElementById('app') as HTMLElement;
let state: PlaygroundState | undefined;
let built = false;

const host = connect<'playground', UiState>((message) => {
  if (message.type === 'state') render(message.state);
  else if (message.type === 'column' && state) {
    state.columns[message.side] = message.column;
    renderColumn(message.side, message.column);
    renderButtons();
  }
});
const ui: UiState = host.uiState() ?? { draft: '', decoding: {} };

const byId = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const post = (request: PlaygroundRequest): void => host.post(request);
const saveUi = (): void => host.saveUiState(ui);

function skeleton(): void {
  app.innerHTML = `
    <header class="toolbar">
      <h2 id="title">Playground</h2>
      <span class="spacer"></span>
      <vscode-button id="choose" secondary>Choose checkpoint…</vscode-button>
    </header>
    <p id="target" class="muted"></p>
    <section id="problems" class="card problems" hidden></section>
    <section class="card" aria-label="Question">
      <div class="toolbar">
        <label for="question"><strong>Question</strong></label>
        <span class="spacer"></span>
        <vscode-button id="pick-pair" secondary>Pick a QA pair</vscode-button>
      </div>
      <textarea id="question" rows="3" placeholder="Ask a medical question…"></textarea>
      <details id="reference-box" hidden><summary>Reference answer <span id="pair-id" class="muted"></span></summary>
        <p id="reference"></p></details>
      <div class="toolbar" id="decoding">
        ${DECODING_FIELDS.map(
          (f) => `<label class="field">${escapeHtml(f.label)}
            <input type="number" id="decoding-${f.key}" step="${f.step}" min="${f.min}" max="${f.max}"></label>`,
        ).join('')}
      </div>
      <div class="toolbar" id="grounding-row">
        <label class="field"><input type="checkbox" id="grounding"> <strong>Ground in dataset</strong></label>
        <span id="grounding-status" class="muted"></span>
        <vscode-button id="build-index" secondary hidden>Build Retrieval Index…</vscode-button>
      </div>
      <div class="toolbar">
        <vscode-button id="ask">Ask both models</vscode-button>
        <vscode-button id="stop" secondary disabled>Stop</vscode-button>
        <span id="form-error" class="error" role="alert"></span>
      </div>
    </section>
    <section id="sources-box" class="card" aria-label="Sources" hidden>
      <h3>Sources given to both models</h3>
      <p class="muted" id="sources-note"></p>
      <ol id="sources" class="sources"></ol>
    </section>
    <div class="grid" id="columns">
      ${SIDES.map(
        (
          side,
        ) => `<section class="card column" data-side="${side}" aria-label="${side === 'base' ? 'Base model' : 'Fine-tuned'} answer">
          <div class="toolbar"><h3>${side === 'base' ? 'Base model' : 'Fine-tuned'}</h3>
            <span class="muted status-text"></span></div>
          <div class="answer" aria-live="off"></div>
          <p class="stats muted"></p>
          <p class="error column-error" hidden></p>
        </section>`,
      ).join('')}
    </div>
    <div class="toolbar">
      <vscode-button id="compare-answers" secondary>Compare answers</vscode-button>
      <vscode-button id="compare-reference" secondary>Compare with reference</vscode-button>
      <vscode-button id="save">Save for grading</vscode-button>
      <span id="saved" class="muted" role="status"></span>
    </div>`;
  const question = byId<HTMLTextAreaElement>('question');
  question.value = ui.draft;
  question.addEventListener('input', () => {
    ui.draft = question.value;
    saveUi();
  });
  question.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) ask();
  });
  for (const field of DECODING_FIELDS) {
    const input = byId<HTMLInputElement>(`decoding-${field.key}`);
    input.addEventListener('input', () => {
      ui.decoding[field.key] = input.value;
      saveUi();
    });
  }
  byId('choose').addEventListener('click', () => post({ type: 'chooseCheckpoint' }));
  byId('pick-pair').addEventListener('click', () => post({ type: 'pickPair' }));
  byId('ask').addEventListener('click', ask);
  byId('stop').addEventListener('click', () => post({ type: 'stop' }));
  byId('compare-answers').addEventListener('click', () => post({ type: 'compare', kind: 'answers' }));
  byId('compare-reference').addEventListener('click', () => post({ type: 'compare', kind: 'reference' }));
  byId('save').addEventListener('click', () => post({ type: 'save' }));
  byId<HTMLInputElement>('grounding').addEventListener('change', (event) =>
    post({ type: 'setGrounding', enabled: (event.target as HTMLInputElement).checked }),
  );
  byId('build-index').addEventListener('click', () => post({ type: 'buildIndex' }));
  handleSourceClicks(app, SOURCE_PREFIX, (url) => post({ type: 'openSource', url }));
  app.addEventListener('click', (event) => {
    if ((event.target as HTMLElement).id === 'export-missing') post({ type: 'exportMissing' });
  });
  built = true;
}

/** The settings as typed, checked here so a mistyped number is explained at once (the host checks again). */
function readDecoding(): PlaygroundDecoding | string {
  const value = (key: keyof PlaygroundDecoding) => byId<HTMLInputElement>(`decoding-${key}`).value.trim();
  const number = (key: keyof PlaygroundDecoding) => Number(value(key));
  const decoding: PlaygroundDecoding = {
    maxNewTokens: number('maxNewTokens'),
    temperature: number('temperature'),
    topP: number('topP'),
    seed: value('seed') === '' ? null : number('seed'),
  };
  if (!Number.isInteger(decoding.maxNewTokens) || decoding.maxNewTokens < 1 || decoding.maxNewTokens > 4096)
    return 'Max new tokens must be a whole number from 1 to 4096.';
  if (!Number.isFinite(decoding.temperature) || decoding.temperature < 0 || decoding.temperature > 2)
    return 'Temperature must be between 0 (greedy) and 2.';
  if (!Number.isFinite(decoding.topP) || decoding.topP < 0.01 || decoding.topP > 1)
    return 'Top-p must be between 0.01 and 1.';
  if (
    decoding.seed !== null &&
    (!Number.isInteger(decoding.seed) || decoding.seed < 0 || decoding.seed > 2147483647)
  )
    return 'The seed must be a whole number of at least 0, or empty for a random one.';
  return decoding;
}

function ask(): void {
  const question = byId<HTMLTextAreaElement>('question').value.trim();
  const decoding = readDecoding();
  const error = byId('form-error');
  error.textContent = !question ? 'Type a question first.' : typeof decoding === 'string' ? decoding : '';
  if (!question || typeof decoding === 'string') return;
  post({ type: 'ask', question, decoding });
}

const busy = (): boolean =>
  SIDES.some((side) => ['loading', 'generating'].includes(state?.columns[side].status ?? 'idle'));

function renderButtons(): void {
  if (!state) return;
  const running = busy();
  const both = SIDES.every((side) => state?.columns[side].status === 'finished');
  const toggle = (id: string, enabled: boolean) => {
    const button = byId(id);
    if (enabled) button.removeAttribute('disabled');
    else button.setAttribute('disabled', '');
  };
  toggle('ask', !running && state.target !== null);
  toggle('stop', running);
  toggle('compare-answers', both);
  toggle('compare-reference', both && state.pair !== null);
  toggle('save', both);
}

function renderColumn(side: PlaygroundSide, column: PlaygroundColumn): void {
  const section = app.querySelector<HTMLElement>(`section.column[data-side="${side}"]`);
  if (!section) return;
  section.dataset.status = column.status;
  (section.querySelector('.status-text') as HTMLElement).textContent = STATUS_TEXT[column.status];
  const answer = section.querySelector('.answer') as HTMLElement;
  // Citations link to their sources only when the answers were grounded (the sources are the ones they got).
  const known = new Set((state?.grounding.sources ?? []).map((s) => s.n));
  if (known.size === 0) answer.textContent = column.text;
  else answer.innerHTML = citedAnswerHtml(SOURCE_PREFIX, column.text, known);
  // A model that answers with blank lines only would leave the column looking empty.
  answer.classList.toggle('blank', column.text !== '' && column.text.trim() === '');
  answer.title = answer.classList.contains('blank') ? `${column.text.length} blank characters` : '';
  (section.querySelector('.stats') as HTMLElement).textContent = columnStats(column);
  const error = section.querySelector('.column-error') as HTMLElement;
  error.hidden = column.error === null;
  error.textContent = column.error ?? '';
}

/** "ONNX exports", or which ones when they differ from fp32 ("ONNX int4 exports", "ONNX / ONNX int4 exports": base first). */
function exportsText(target: NonNullable<PlaygroundState['target']>): string {
  const adapter = target.exportLabels.adapter ?? 'ONNX';
  const base = target.exportLabels.base ?? 'ONNX';
  return adapter === base ? `${adapter} exports` : `${base} / ${adapter} exports`;
}

function render(next: PlaygroundState): void {
  const previous = state;
  state = next;
  if (!built) skeleton();
  const target = next.target;
  byId('title').textContent = target ? `Playground · ${target.run} · ${target.checkpoint}` : 'Playground';
  byId('target').textContent = target
    ? `Base model ${target.model} and ${target.checkpoint}, answering from their ${exportsText(target)} in the editor.`
    : 'Choose a checkpoint to ask it and its base model questions.';
  const problems = byId('problems');
  problems.hidden = next.problems.length === 0;
  problems.innerHTML = next.problems.length
    ? `<ul>${next.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>
       <vscode-button id="export-missing">Export to ONNX</vscode-button>`
    : '';
  const question = byId<HTMLTextAreaElement>('question');
  // The host's question replaces the draft when it changed there (a picked pair), not on every state.
  if (!previous || previous.question !== next.question) {
    if (next.question || !ui.draft) question.value = next.question;
    ui.draft = question.value;
    saveUi();
  }
  for (const field of DECODING_FIELDS) {
    const input = byId<HTMLInputElement>(`decoding-${field.key}`);
    const value = next.decoding[field.key];
    const fromHost = value === null ? '' : String(value);
    if (!previous) input.value = ui.decoding[field.key] ?? fromHost;
    else if (previous.decoding[field.key] !== value) input.value = fromHost;
  }
  const referenceBox = byId('reference-box');
  referenceBox.hidden = next.pair === null;
  byId('pair-id').textContent = next.pair ? `(${next.pair.id} · ${next.pair.qtype})` : '';
  byId('reference').textContent = next.pair?.reference ?? '';
  renderGrounding(next);
  for (const side of SIDES) renderColumn(side, next.columns[side]);
  byId('saved').textContent = next.saved ? `Saved as ${next.saved.id} for grading.` : '';
  renderButtons();
}

let shownSources = '';

function renderGrounding(next: PlaygroundState): void {
  const { enabled, index, sources, question } = next.grounding;
  const toggle = byId<HTMLInputElement>('grounding');
  toggle.checked = enabled;
  byId('build-index').hidden = index !== null;
  byId('grounding-status').textContent = index
    ? `${enabled ? 'Questions go through' : 'Uses'} the retrieval index "${index.name}" (${index.pairs.toLocaleString('en-US')} pairs${index.stale ? ', stale: rebuild it' : ''}); both models get the top sources in their prompt and are asked to cite them as [1], [2].`
    : 'No retrieval index in this workspace yet: build one to ground the answers in the curated NIH pairs.';
  const box = byId('sources-box');
  box.hidden = sources.length === 0;
  byId('sources-note').textContent = question ? `Retrieved for: ${question}` : '';
  const list = byId('sources');
  const html = sourcesHtml(SOURCE_PREFIX, sources, (n) =>
    SIDES.some((side) => citedNumbers(next.columns[side].text).includes(n)) ? 'cited' : '',
  );
  // Rebuilt only when it changed, so an open passage and a highlighted source survive other updates.
  if (shownSources !== html) {
    shownSources = html;
    list.innerHTML = html;
  }
}
