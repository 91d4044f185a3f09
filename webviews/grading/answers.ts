// The answer cards of the Grading panel: built once per example (and mode / gradable set), then updated in place on
// every state push so that focus, selection and a comment being typed survive.
import type { AnswerSlot, AnswerView, ExampleView, GradeView } from '../../src/protocol/gradingPanel';
import { escapeHtml } from '../shared/host';
import { dropComments, initComment, syncComment } from './comments';
import { markedHtml } from './highlight';
import { FLAGS, GRADES, GRADE_LABELS, PREFERENCES } from './view';

/** What identifies the built cards; when it changes the cards are rebuilt. */
export function answersKey(exampleId: string, blind: boolean, answers: readonly AnswerView[]): string {
  return [exampleId, blind ? 'blind' : 'single', ...answers.map((a) => `${a.slot}:${a.gradable}`)].join(
    '\u0000',
  );
}

/** The label an answer is shown under; blind mode never shows more than the letter. */
export function answerLabel(answer: AnswerView, blind: boolean): string {
  return blind ? `Answer ${answer.slot}` : answer.label || answer.slot;
}

function sectionHtml(answer: AnswerView, index: number): string {
  const id = `answer-${index}`;
  const gradable = answer.gradable
    ? `
      <div class="grades" role="group" aria-label="Grade">
        ${GRADES.map(
          (g) =>
            `<button type="button" class="grade" data-grade="${g}" aria-pressed="false" aria-keyshortcuts="${g}">${g} ${GRADE_LABELS[g]}</button>`,
        ).join('')}
      </div>
      <div class="flags" role="group" aria-label="Flags">
        ${FLAGS.map(
          (f) =>
            `<button type="button" class="flag" data-flag="${f.flag}" aria-pressed="false" aria-keyshortcuts="${f.key.toUpperCase()}">${f.label} (${f.key.toUpperCase()})</button>`,
        ).join('')}
      </div>
      <p class="stale" hidden></p>
      <p class="stale-detail muted" hidden></p>
      <label class="comment-field"><span class="muted">Comment (C)</span>
        <textarea class="comment" rows="2"></textarea></label>`
    : '';
  return `
    <section class="answer card${answer.gradable ? ' gradable' : ' context'}" data-slot="${escapeHtml(answer.slot)}"
      aria-labelledby="${id}-label">
      <header class="answer-header">
        <h4 class="answer-label" id="${id}-label"></h4>
        <span class="answer-f1 muted" hidden></span>
        <span class="answer-grade muted"></span>
        <span class="keys-here" hidden>Keys act here</span>
        <span class="spacer"></span>
        <button type="button" class="diff-reference">Compare with Reference</button>
      </header>
      <div class="answer-text text"></div>
      ${gradable}
    </section>`;
}

/** Rebuilds the cards; `sendComment` posts a comment for a slot. */
export function buildAnswers(
  container: HTMLElement,
  answers: readonly AnswerView[],
  sendComment: (slot: AnswerSlot, text: string) => void,
): void {
  dropComments(container);
  container.innerHTML = answers.map(sectionHtml).join('');
  container.classList.toggle('two', answers.length > 1);
  answers.forEach((answer) => {
    const textarea = answerSection(container, answer.slot)?.querySelector<HTMLTextAreaElement>(
      'textarea.comment',
    );
    if (textarea)
      initComment(textarea, answer.grade?.comment ?? '', (text) => sendComment(answer.slot, text));
  });
}

export function answerSection(container: ParentNode, slot: AnswerSlot): HTMLElement | null {
  return (
    Array.from(container.querySelectorAll<HTMLElement>('section.answer')).find(
      (s) => s.dataset.slot === slot,
    ) ?? null
  );
}

const shownHtml = new WeakMap<Element, string>();

/** Sets innerHTML only when it changed, so that a text selection survives unrelated updates. */
export function setHtml(element: Element, html: string): void {
  if (shownHtml.get(element) === html) return;
  shownHtml.set(element, html);
  element.innerHTML = html;
}

function isoDate(at: string): string {
  return /^\d{4}-\d{2}-\d{2}/.exec(at)?.[0] ?? at;
}

function gradeSummary(grade: GradeView | null): string {
  if (grade?.grade) return `Graded ${grade.grade}`;
  return 'Ungraded';
}

function staleText(stale: GradeView, current: GradeView | null): string {
  const what = stale.grade ? `Graded ${stale.grade}` : 'Annotated';
  const now = current?.grade ? 'this text has its own grade' : 'this text is ungraded';
  return `${what} for an earlier answer text on ${isoDate(stale.at)}; ${now}`;
}

function staleDetail(stale: GradeView): string {
  const parts: string[] = [];
  if (stale.flags.length) {
    const labels = stale.flags.map((flag) => FLAGS.find((f) => f.flag === flag)?.label ?? flag);
    parts.push(`Earlier flags: ${labels.join(', ')}`);
  }
  if (stale.comment.trim()) parts.push(`Earlier comment: ${stale.comment}`);
  return parts.join(' · ');
}

/**
 * Shows which card the keyboard grades: its border and a "Keys act here" badge (the border alone was easy to
 * miss, and a grade typed for A landed on B).
 */
export function markFocus(section: HTMLElement, focused: boolean): void {
  section.classList.toggle('focused', focused);
  if (focused) section.setAttribute('aria-current', 'true');
  else section.removeAttribute('aria-current');
  const badge = section.querySelector<HTMLElement>('.keys-here');
  if (badge) badge.hidden = !focused;
}

/** Brings one card up to date with the state. */
export function updateAnswer(
  section: HTMLElement,
  answer: AnswerView,
  reference: string,
  blind: boolean,
  focused: boolean,
): void {
  markFocus(section, focused);
  const text = (selector: string) => section.querySelector<HTMLElement>(selector);
  const label = text('.answer-label');
  if (label) label.textContent = answerLabel(answer, blind);
  const f1 = text('.answer-f1');
  if (f1) {
    const shown = !blind && answer.f1 !== null;
    f1.hidden = !shown;
    f1.textContent = shown && answer.f1 !== null ? `F1 ${answer.f1.toFixed(1)}` : '';
  }
  const status = text('.answer-grade');
  if (status) status.textContent = answer.gradable ? gradeSummary(answer.grade) : 'For context';
  const body = text('.answer-text');
  if (body) setHtml(body, markedHtml(reference, answer.text, 'added'));
  if (!answer.gradable) return;

  section.querySelectorAll<HTMLButtonElement>('button.grade').forEach((button) => {
    button.setAttribute('aria-pressed', String(button.dataset.grade === String(answer.grade?.grade ?? '')));
  });
  const flags = answer.grade?.flags ?? [];
  section.querySelectorAll<HTMLButtonElement>('button.flag').forEach((button) => {
    button.setAttribute('aria-pressed', String(flags.some((flag) => flag === button.dataset.flag)));
  });
  const stale = text('.stale');
  const detail = text('.stale-detail');
  if (stale && detail) {
    stale.hidden = !answer.stale;
    stale.textContent = answer.stale ? staleText(answer.stale, answer.grade) : '';
    const more = answer.stale ? staleDetail(answer.stale) : '';
    detail.hidden = !more;
    detail.textContent = more;
  }
  const textarea = section.querySelector<HTMLTextAreaElement>('textarea.comment');
  if (textarea) {
    textarea.setAttribute('aria-label', `Comment on ${answerLabel(answer, blind)}`);
    syncComment(textarea, answer.grade?.comment ?? '');
  }
}

/** What a state push changed on the same example (grades, flags, preference), for a screen reader. */
export function changeMessages(before: ExampleView | null | undefined, after: ExampleView | null): string[] {
  if (!before || !after || before.id !== after.id) return [];
  const blind = after.blind !== null;
  const messages: string[] = [];
  for (const answer of after.answers) {
    const was = before.answers.find((a) => a.slot === answer.slot);
    if (!was || !answer.gradable) continue;
    const label = answerLabel(answer, blind);
    const grade = answer.grade?.grade ?? null;
    if (grade !== (was.grade?.grade ?? null)) {
      messages.push(grade ? `${label}: ${grade} ${GRADE_LABELS[grade]}` : `${label}: grade removed`);
    }
    const now = answer.grade?.flags ?? [];
    const then = was.grade?.flags ?? [];
    for (const f of FLAGS) {
      if (now.includes(f.flag) !== then.includes(f.flag)) {
        messages.push(`${label}: ${f.label} ${now.includes(f.flag) ? 'flagged' : 'cleared'}`);
      }
    }
  }
  const preference = after.blind?.preference ?? null;
  if (preference && preference !== (before.blind?.preference ?? null)) {
    messages.push(`Preference: ${PREFERENCES.find((p) => p.value === preference)?.label ?? preference}`);
  }
  return messages;
}
