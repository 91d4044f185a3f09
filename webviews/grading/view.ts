// Labels and the static markup of the Grading panel: the page skeleton (built once) and the options of its selects.
import type {
  ExampleOrder,
  F1Band,
  GradeFlag,
  GradeValue,
  GradingMode,
  Preference,
  StatusFilter,
} from '../../src/protocol/gradingPanel';
import type { EvaluationSide } from '../../src/protocol/metricsPanel';
import { escapeHtml } from '../shared/host';
import { sourcesBlockHtml } from './sources';

export interface Choice<T extends string> {
  value: T;
  label: string;
}

export const GRADES: readonly GradeValue[] = [1, 2, 3, 4];

export const GRADE_LABELS: Record<GradeValue, string> = {
  1: 'Incorrect',
  2: 'Incorrect but related',
  3: 'Correct but incomplete',
  4: 'Correct and complete',
};

export const FLAGS: readonly { flag: GradeFlag; label: string; key: string }[] = [
  { flag: 'unsafe', label: 'Unsafe advice', key: 's' },
  { flag: 'hallucinated', label: 'Hallucinated fact', key: 'h' },
  { flag: 'missing', label: 'Missing key information', key: 'm' },
  { flag: 'outdated', label: 'Outdated', key: 'o' },
  { flag: 'unsupported', label: 'Not supported by its sources', key: 'n' },
];

export const SIDE_LABELS: Record<EvaluationSide, string> = { adapter: 'Fine-tuned', base: 'Base model' };

export const MODES: readonly Choice<GradingMode>[] = [
  { value: 'single', label: 'Grade one model' },
  { value: 'blind', label: 'Blind A/B' },
];

export const STATUSES: readonly Choice<StatusFilter>[] = [
  { value: 'all', label: 'All examples' },
  { value: 'ungraded', label: 'Ungraded' },
  { value: 'flagged', label: 'Flagged' },
  { value: 'stale', label: 'Stale grades' },
];

export const F1_BANDS: readonly Choice<F1Band>[] = [
  { value: 'all', label: 'Any F1' },
  { value: 'lt10', label: 'F1 < 10' },
  { value: '10to30', label: 'F1 10–30' },
  { value: '30to50', label: 'F1 30–50' },
  { value: 'ge50', label: 'F1 ≥ 50' },
];

export const ORDERS: readonly Choice<ExampleOrder>[] = [
  { value: 'file', label: 'File order' },
  { value: 'f1-ascending', label: 'Lowest F1 first' },
];

export const PREFERENCES: readonly Choice<Preference>[] = [
  { value: 'A', label: 'A is better (Shift+A)' },
  { value: 'B', label: 'B is better (Shift+B)' },
  { value: 'tie', label: 'Tie (T)' },
];

/** The choice whose value is `value`, typed, or undefined for anything else. */
export function pick<T extends string>(choices: readonly Choice<T>[], value: string): T | undefined {
  return choices.find((choice) => choice.value === value)?.value;
}

export function optionsHtml(choices: readonly Choice<string>[], selected: string): string {
  return choices
    .map(
      (c) =>
        `<vscode-option value="${escapeHtml(c.value)}"${c.value === selected ? ' selected' : ''}>${escapeHtml(c.label)}</vscode-option>`,
    )
    .join('');
}

function select(id: string, label: string, choices: readonly Choice<string>[] = []): string {
  return `<label class="field" id="${id}-field"><span class="muted">${label}</span>
    <vscode-single-select id="${id}" aria-label="${label}">${optionsHtml(choices, choices[0]?.value ?? '')}</vscode-single-select></label>`;
}

const kbd = (...keys: string[]) => keys.map((k) => `<kbd>${k}</kbd>`).join('');

export function skeletonHtml(): string {
  return `
    <header class="grading-header">
      <h2 id="title">Grading</h2>
      <span id="grader" class="muted"></span>
      <span class="spacer"></span>
      <progress id="progress-bar" aria-hidden="true" max="1" value="0"></progress>
      <span id="progress" class="grading-progress"></span>
    </header>
    <section id="no-evaluation" class="card" hidden>
      <p>No evaluation with model answers is open for grading.</p>
      <vscode-button id="choose-evaluation" icon="folder-opened">Choose Evaluation…</vscode-button>
    </section>
    <section id="problems" class="card grading-problems" hidden></section>
    <div id="workspace" hidden>
      <div class="toolbar grading-options" role="group" aria-label="Grading options">
        ${select('mode', 'Mode', MODES)}
        ${select('side', 'Model')}
        ${select('filter-status', 'Show', STATUSES)}
        ${select('filter-qtype', 'Question type')}
        ${select('filter-f1', 'F1', F1_BANDS)}
        ${select('filter-order', 'Order', ORDERS)}
      </div>
      <nav class="toolbar grading-nav" aria-label="Examples">
        <vscode-button id="previous" icon="arrow-left" secondary title="Previous example (K)">Previous</vscode-button>
        <vscode-button id="next" icon="arrow-right" secondary title="Next example (J)">Next</vscode-button>
        <vscode-button id="next-ungraded" icon="debug-step-over" title="Next ungraded example (U)">Next Ungraded</vscode-button>
        <span id="position" class="grading-position"></span>
      </nav>
      <article id="example" aria-labelledby="question">
        <div class="question-line">
          <span id="qtype" class="qtype-badge"></span>
          <span id="example-id" class="muted example-id"></span>
        </div>
        <h3 id="question" class="question"></h3>
        <section class="card reference-block" aria-labelledby="reference-heading">
          <h4 id="reference-heading">Reference</h4>
          <div id="reference" class="text"></div>
        </section>
        <p id="legend" class="legend muted">
          <span><mark class="added">Marked</mark> in an answer: words the reference does not have</span>
          <span id="legend-left-out"> · <mark class="left-out">Marked</mark> in the reference: words left out by
            <span id="legend-who">the answer</span></span>
        </p>
        ${sourcesBlockHtml()}
        <div id="answers" class="answers"></div>
        <div id="compare" class="toolbar">
          <button type="button" id="diff-base-adapter">Compare Base vs Fine-tuned</button>
        </div>
        <section id="blind" class="card blind-block" aria-label="Preference" hidden>
          <div id="preference" class="toolbar" role="group" aria-label="Which answer is better?">
            <span class="muted">Which answer is better?</span>
            ${PREFERENCES.map(
              (p) =>
                `<button type="button" data-preference="${p.value}" aria-pressed="false" aria-keyshortcuts="${p.value === 'tie' ? 'T' : `Shift+${p.value}`}">${p.label}</button>`,
            ).join('')}
          </div>
          <p id="reveal" class="reveal"></p>
        </section>
      </article>
      <p id="keys" class="keys muted" aria-label="Keyboard shortcuts">
        ${kbd('1')}–${kbd('4')} grade · ${FLAGS.map((f) => kbd(f.key.toUpperCase())).join('')} flags ·
        ${kbd('J')}/${kbd('K')} next/previous · ${kbd('U')} next ungraded · ${kbd('D')} compare with reference ·
        ${kbd('C')} comment (${kbd('Esc')} leaves it)<span id="keys-blind"> · ${kbd('A')}/${kbd('B')} choose answer ·
        ${kbd('Shift+A')}/${kbd('Shift+B')}/${kbd('T')} preference</span>
      </p>
    </div>
    <p id="announcement" class="sr-only"></p>`;
}
