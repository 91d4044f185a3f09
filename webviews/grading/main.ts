// The Grading panel: a researcher grades model answers to medical questions on LiveQA-Med's 4-point scale, with
// flags, comments and a blind A/B mode, mostly from the keyboard. The host pushes the full state on every change;
// this app renders it (the skeleton once, then its parts in place) and sends requests back.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type {
  AnswerSlot,
  ExampleView,
  GradeFlag,
  GradeValue,
  GradingFilter,
  GradingPanelRequest,
  GradingPanelState,
  Preference,
} from '../../src/protocol/gradingPanel';
import type { EvaluationSide } from '../../src/protocol/metricsPanel';
import { connect, escapeHtml } from '../shared/host';
import {
  answerLabel,
  answerSection,
  answersKey,
  buildAnswers,
  changeMessages,
  markFocus,
  setHtml,
  updateAnswer,
} from './answers';
import { flushComments } from './comments';
import { markedHtml } from './highlight';
import { installKeys } from './keys';
import { renderSources, SOURCE_PREFIX } from './sources';
import { handleSourceClicks } from '../shared/sources';
import {
  F1_BANDS,
  FLAGS,
  GRADES,
  MODES,
  ORDERS,
  PREFERENCES,
  SIDE_LABELS,
  STATUSES,
  optionsHtml,
  pick,
  skeletonHtml,
  type Choice,
} from './view';

type SelectElement = HTMLElement & { value: string };

const app = document.getElementById('app') as HTMLElement;
let state: GradingPanelState | undefined;
/** answersKey of the cards on screen. */
let builtAnswers = '';
/** The answer the keyboard acts on. */
let focusedSlot: AnswerSlot | undefined;
/** Example and mode the focus belongs to; a new one resets it. */
let focusContext = '';

const host = connect<'grading'>((message) => {
  if (message.type === 'state') render(message.state);
});

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

const post = (request: GradingPanelRequest): void => host.post(request);

/** Requests that change the example shown first send a comment still being typed (a comment names only a slot). */
function postLeaving(request: GradingPanelRequest): void {
  const answers = document.getElementById('answers');
  if (answers) flushComments(answers);
  post(request);
}

function announce(text: string): void {
  const region = byId('announcement');
  region.textContent = '';
  window.requestAnimationFrame(() => (region.textContent = text));
}

// --- Requests -------------------------------------------------------------------------------------------------

function navigate(to: 'next' | 'previous' | 'nextUngraded'): void {
  postLeaving({ type: 'navigate', to });
}

function gradeSlot(slot: AnswerSlot, grade: GradeValue): void {
  if (state?.example) post({ type: 'grade', id: state.example.id, slot, grade });
}

function toggleFlag(slot: AnswerSlot, flag: GradeFlag): void {
  if (state?.example) post({ type: 'toggleFlag', id: state.example.id, slot, flag });
}

function openReferenceDiff(slot: AnswerSlot): void {
  if (state?.example) post({ type: 'openDiff', id: state.example.id, kind: 'reference', slot });
}

function prefer(preference: Preference): void {
  const blind = state?.example?.blind;
  if (!blind) return;
  if (!blind.canPrefer) {
    announce('Grade both answers before giving a preference.');
    return;
  }
  if (state?.example) post({ type: 'prefer', id: state.example.id, preference });
}

/** The filter as the selects show it, so two quick changes do not undo each other before the host answers. */
function shownFilter(current: GradingFilter): GradingFilter {
  const value = (id: string) => byId<SelectElement>(id).value;
  const qtype = value('filter-qtype');
  return {
    status: pick(STATUSES, value('filter-status')) ?? current.status,
    qtype: qtype === '' ? null : (state?.qtypes.find((q) => q === qtype) ?? current.qtype),
    f1Band: pick(F1_BANDS, value('filter-f1')) ?? current.f1Band,
    order: pick(ORDERS, value('filter-order')) ?? current.order,
  };
}

function filterChanged(): void {
  if (!state) return;
  const filter = shownFilter(state.filter);
  const same = (Object.keys(filter) as (keyof GradingFilter)[]).every((k) => filter[k] === state?.filter[k]);
  if (!same) postLeaving({ type: 'setFilter', filter });
}

// --- Focus (which answer the keyboard grades) --------------------------------------------------------------------

function chooseFocus(example: ExampleView): AnswerSlot | undefined {
  const gradable = example.answers.filter((a) => a.gradable);
  const context = `${example.id}\u0000${example.blind ? 'blind' : 'single'}`;
  const keep = context === focusContext && gradable.some((a) => a.slot === focusedSlot);
  focusContext = context;
  if (example.blind && keep) return focusedSlot;
  return (gradable.find((a) => a.slot === 'A') ?? gradable[0])?.slot;
}

function focusSlot(slot: AnswerSlot, fromKeyboard = false): void {
  const example = state?.example;
  const answer = example?.answers.find((a) => a.slot === slot && a.gradable);
  if (!example || !answer || slot === focusedSlot) return;
  focusedSlot = slot;
  const answers = byId('answers');
  answers
    .querySelectorAll<HTMLElement>('section.answer')
    .forEach((section) => markFocus(section, section.dataset.slot === slot));
  renderReference(example);
  if (fromKeyboard) {
    answerSection(answers, slot)?.scrollIntoView({ block: 'nearest' });
    announce(`${answerLabel(answer, example.blind !== null)} selected`);
  }
}

function focusComment(): void {
  if (!focusedSlot) return;
  answerSection(byId('answers'), focusedSlot)
    ?.querySelector<HTMLTextAreaElement>('textarea.comment')
    ?.focus();
}

// --- Skeleton and its events ----------------------------------------------------------------------------------

function onSelect(id: string, handler: (value: string) => void): void {
  const element = byId<SelectElement>(id);
  element.addEventListener('change', () => handler(element.value));
}

function skeleton(): void {
  app.innerHTML = skeletonHtml();
  const onClick = (id: string, handler: () => void) => byId(id).addEventListener('click', handler);
  onClick('choose-evaluation', () => postLeaving({ type: 'selectEvaluation' }));
  onClick('previous', () => navigate('previous'));
  onClick('next', () => navigate('next'));
  onClick('next-ungraded', () => navigate('nextUngraded'));
  onClick('diff-base-adapter', () => {
    const first = state?.example?.answers[0];
    if (first && state?.example)
      post({ type: 'openDiff', id: state.example.id, kind: 'baseVsAdapter', slot: first.slot });
  });
  onSelect('mode', (value) => {
    const mode = pick(MODES, value);
    if (mode && mode !== state?.mode) postLeaving({ type: 'setMode', mode });
  });
  onSelect('side', (value) => {
    const side = state?.evaluation?.sides.find((s) => s === value);
    if (side && side !== state?.side) postLeaving({ type: 'setSide', side });
  });
  ['filter-status', 'filter-qtype', 'filter-f1', 'filter-order'].forEach((id) => onSelect(id, filterChanged));
  byId('preference').addEventListener('click', (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>('button[data-preference]');
    const preference = button ? pick(PREFERENCES, button.dataset.preference ?? '') : undefined;
    if (preference) prefer(preference);
  });

  const answers = byId('answers');
  const answerOf = (target: EventTarget | null) => {
    const slot = (target as Element | null)?.closest<HTMLElement>('section.answer')?.dataset.slot;
    return state?.example?.answers.find((a) => a.slot === slot);
  };
  handleSourceClicks(byId('sources-block'), SOURCE_PREFIX, (url) => post({ type: 'openSource', url }));
  answers.addEventListener('click', (event) => {
    const answer = answerOf(event.target);
    if (!answer) return;
    const button = (event.target as Element).closest<HTMLButtonElement>('button');
    const grade = button?.classList.contains('grade')
      ? GRADES.find((g) => String(g) === button.dataset.grade)
      : undefined;
    const flag = button?.classList.contains('flag')
      ? FLAGS.find((f) => f.flag === button.dataset.flag)?.flag
      : undefined;
    if (grade !== undefined) gradeSlot(answer.slot, grade);
    else if (flag) toggleFlag(answer.slot, flag);
    else if (button?.classList.contains('diff-reference')) openReferenceDiff(answer.slot);
    if (answer.gradable) focusSlot(answer.slot);
  });
  answers.addEventListener('focusin', (event) => {
    const answer = answerOf(event.target);
    if (answer?.gradable) focusSlot(answer.slot);
  });

  installKeys({
    state: () => state,
    focused: () => focusedSlot,
    navigate,
    // The keys stay on the answer they were typed for: the flags a grader types right after a grade ("1 h s")
    // belong to that answer. In blind mode B is chosen with the B key (or a click), never by a grade.
    grade: gradeSlot,
    toggleFlag,
    openReferenceDiff,
    focusComment,
    focusSlot: (slot) => focusSlot(slot, true),
    prefer,
  });
}

// --- Rendering ------------------------------------------------------------------------------------------------

/** Fills a select, rebuilding its options only when they changed (an open dropdown stays open otherwise). */
function setSelect(id: string, choices: readonly Choice<string>[], selected: string): void {
  const select = byId<SelectElement>(id);
  const signature = JSON.stringify(choices);
  if (select.dataset.options !== signature) {
    select.dataset.options = signature;
    select.innerHTML = optionsHtml(choices, selected);
  }
  if (select.value !== selected) select.value = selected;
}

function renderOptions(next: GradingPanelState, sides: readonly EvaluationSide[]): void {
  const blind = next.mode === 'blind';
  setSelect('mode', MODES, next.mode);
  setSelect(
    'side',
    sides.map((side) => ({ value: side, label: SIDE_LABELS[side] })),
    next.side,
  );
  byId('side-field').hidden = blind;
  byId('side').hidden = blind;
  setSelect('filter-status', STATUSES, next.filter.status);
  const qtypes = [...next.qtypes];
  if (next.filter.qtype !== null && !qtypes.includes(next.filter.qtype)) qtypes.push(next.filter.qtype);
  setSelect(
    'filter-qtype',
    [{ value: '', label: 'All question types' }, ...qtypes.map((q) => ({ value: q, label: q }))],
    next.filter.qtype ?? '',
  );
  setSelect('filter-f1', F1_BANDS, next.filter.f1Band);
  setSelect('filter-order', ORDERS, next.filter.order);
}

function renderNavigation(next: GradingPanelState): void {
  const { index, count } = next.position;
  byId('position').textContent =
    count === 0
      ? 'No examples match the filters'
      : index < 0
        ? `done · ${count} left in the list`
        : `${index + 1} of ${count}`;
  byId('previous').toggleAttribute('disabled', count === 0 || index <= 0);
  byId('next').toggleAttribute('disabled', count === 0 || index >= count - 1);
}

function renderProblems(problems: readonly string[]): void {
  const box = byId('problems');
  box.hidden = problems.length === 0;
  setHtml(
    box,
    problems.length
      ? `<p class="warning"><strong>Some files could not be read</strong>; everything else is shown.</p>
        <ul id="problem-list">${problems.map((p) => `<li><code>${escapeHtml(p)}</code></li>`).join('')}</ul>`
      : '',
  );
}

/** The reference, with the words the focused answer leaves out marked. */
function renderReference(example: ExampleView): void {
  const focused = example.answers.find((a) => a.slot === focusedSlot);
  setHtml(
    byId('reference'),
    focused ? markedHtml(focused.text, example.reference, 'left-out') : escapeHtml(example.reference),
  );
  byId('legend-left-out').hidden = !focused;
  byId('legend-who').textContent = focused ? answerLabel(focused, example.blind !== null) : '';
}

function renderBlind(example: ExampleView): void {
  const blind = example.blind;
  byId('blind').hidden = !blind;
  if (!blind) return;
  byId('preference')
    .querySelectorAll<HTMLButtonElement>('button[data-preference]')
    .forEach((button) => {
      button.disabled = !blind.canPrefer;
      button.title = blind.canPrefer ? '' : 'Grade both answers first';
      button.setAttribute('aria-pressed', String(button.dataset.preference === blind.preference));
    });
  const reveal = byId('reveal');
  reveal.classList.toggle('revealed', blind.revealed !== null);
  reveal.textContent = blind.revealed
    ? `A was ${SIDE_LABELS[blind.revealed.A]} · B was ${SIDE_LABELS[blind.revealed.B]}`
    : 'Identities are hidden until both answers are graded and a preference is given';
}

function renderExample(example: ExampleView | null): void {
  const article = byId('example');
  const answers = byId('answers');
  article.hidden = !example;
  if (!example) {
    if (builtAnswers) buildAnswers(answers, [], () => undefined);
    builtAnswers = '';
    focusedSlot = undefined;
    return;
  }
  const blind = example.blind !== null;
  article.dataset.id = example.id;
  const qtype = byId('qtype');
  qtype.textContent = example.qtype;
  qtype.hidden = !example.qtype;
  byId('example-id').textContent = example.id;
  const question = byId('question');
  question.textContent = example.question ?? 'Question text not available';
  question.classList.toggle('muted', example.question === null);

  const key = answersKey(example.id, blind, example.answers);
  if (key !== builtAnswers) {
    buildAnswers(answers, example.answers, (slot, comment) =>
      post({ type: 'comment', id: example.id, slot, comment }),
    );
    builtAnswers = key;
  }
  focusedSlot = chooseFocus(example);
  for (const answer of example.answers) {
    const section = answerSection(answers, answer.slot);
    if (section) updateAnswer(section, answer, example.reference, blind, answer.slot === focusedSlot);
  }
  renderReference(example);
  renderSources(example);
  byId('compare').hidden = !(blind || example.answers.length === 2);
  renderBlind(example);
}

function render(next: GradingPanelState): void {
  const previous = state;
  state = next;
  if (!document.getElementById('workspace')) skeleton();
  const evaluation = next.evaluation;
  byId('title').textContent = evaluation?.title ?? 'Grading';
  byId('grader').textContent = `Grader: ${next.grader}`;
  const progress = byId('progress');
  progress.textContent = `${next.progress.graded} / ${next.progress.total} graded`;
  progress.hidden = !evaluation;
  const bar = byId<HTMLProgressElement>('progress-bar');
  bar.max = Math.max(next.progress.total, 1);
  bar.value = next.progress.graded;
  bar.hidden = !evaluation;
  byId('no-evaluation').hidden = evaluation !== null;
  byId('workspace').hidden = evaluation === null;
  renderProblems(next.problems);
  if (!evaluation) {
    renderExample(null);
    return;
  }
  renderOptions(next, evaluation.sides);
  renderNavigation(next);
  renderExample(next.example);
  byId('keys-blind').hidden = next.mode !== 'blind';
  const changes = changeMessages(previous?.example, next.example);
  if (changes.length) announce(changes.join('. '));
}
