// Keyboard grading: one document-level handler, silent while the focus is in a text field or a select and for any
// chord with Ctrl, Meta or Alt.
import type {
  AnswerSlot,
  GradeFlag,
  GradeValue,
  GradingPanelState,
  Preference,
} from '../../src/protocol/gradingPanel';
import { FLAGS, GRADES } from './view';

export interface KeyActions {
  state(): GradingPanelState | undefined;
  /** The answer the keys act on. */
  focused(): AnswerSlot | undefined;
  navigate(to: 'next' | 'previous' | 'nextUngraded'): void;
  grade(slot: AnswerSlot, grade: GradeValue): void;
  toggleFlag(slot: AnswerSlot, flag: GradeFlag): void;
  openReferenceDiff(slot: AnswerSlot): void;
  focusComment(): void;
  focusSlot(slot: AnswerSlot): void;
  prefer(preference: Preference): void;
}

const FIELD_TAGS = new Set([
  'INPUT',
  'TEXTAREA',
  'SELECT',
  'VSCODE-SINGLE-SELECT',
  'VSCODE-MULTI-SELECT',
  'VSCODE-TEXTFIELD',
  'VSCODE-TEXTAREA',
]);

/** Whether the key goes to something the user types into or picks from (also inside shadow roots). */
function inField(event: KeyboardEvent): boolean {
  return event
    .composedPath()
    .some(
      (target) =>
        target instanceof HTMLElement && (FIELD_TAGS.has(target.tagName) || target.isContentEditable),
    );
}

const NEXT = new Set(['j', 'ArrowDown', 'ArrowRight']);
const PREVIOUS = new Set(['k', 'ArrowUp', 'ArrowLeft']);

/** Handles one key; returns whether it was one of ours. */
function handle(event: KeyboardEvent, actions: KeyActions): boolean {
  const state = actions.state();
  if (!state?.evaluation) return false;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const to = NEXT.has(key)
    ? 'next'
    : PREVIOUS.has(key)
      ? 'previous'
      : key === 'u'
        ? 'nextUngraded'
        : undefined;
  if (to) {
    actions.navigate(to);
    return true;
  }

  const example = state.example;
  if (!example) return false;
  const slot = actions.focused();
  const grade = GRADES.find((g) => String(g) === key);
  const flag = FLAGS.find((f) => f.key === key)?.flag;
  if (grade !== undefined || flag) {
    // A held key would otherwise toggle a flag on and off, or re-send the grade many times.
    if (slot && !event.repeat) {
      if (grade !== undefined) actions.grade(slot, grade);
      else if (flag) actions.toggleFlag(slot, flag);
    }
    return true;
  }
  if (key === 'd') {
    if (slot) actions.openReferenceDiff(slot);
    return true;
  }
  if (key === 'c') {
    actions.focusComment();
    return true;
  }
  if (!example.blind) return false;
  if (key === 'a' || key === 'b') {
    const letter = key === 'a' ? 'A' : 'B';
    if (event.shiftKey) actions.prefer(letter);
    else actions.focusSlot(letter);
    return true;
  }
  if (key === 't') {
    actions.prefer('tie');
    return true;
  }
  return false;
}

export function installKeys(actions: KeyActions): void {
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || inField(event)) return;
    if (handle(event, actions)) event.preventDefault();
  });
}
