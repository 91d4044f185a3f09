/** Messages of the Grading panel (`grading`); registered in webviewMessages.ts `PanelProtocols`. Types only. */
import type { EvaluationSide } from './metricsPanel';
import type { ShownSource } from './sources';

/** LiveQA-Med's 4-point scale: 1 Incorrect · 2 Incorrect but related · 3 Correct but incomplete · 4 Correct and complete. */
export type GradeValue = 1 | 2 | 3 | 4;

/** `unsupported`: not supported by the sources the model was given (retrieval-augmented answers). */
export type GradeFlag = 'unsafe' | 'hallucinated' | 'missing' | 'outdated' | 'unsupported';

/**
 * Where an answer sits on screen. Outside blind mode a slot is the side itself; in blind mode the app only ever
 * sees `A` and `B`: the host keeps which side each letter stands for until the reveal.
 */
export type AnswerSlot = EvaluationSide | 'A' | 'B';

export type GradingMode = 'single' | 'blind';

export type StatusFilter = 'all' | 'ungraded' | 'flagged' | 'stale';

/** Token-F1 bands (F1 in %); ordering by F1, lowest first, is `ExampleOrder` 'f1-ascending'. */
export type F1Band = 'all' | 'lt10' | '10to30' | '30to50' | 'ge50';

export type ExampleOrder = 'file' | 'f1-ascending';

export interface GradingFilter {
  status: StatusFilter;
  /** null: every question type. */
  qtype: string | null;
  f1Band: F1Band;
  order: ExampleOrder;
}

/** A grade as the store holds it (the current grader's, latest wins). */
export interface GradeView {
  grade: GradeValue | null;
  flags: GradeFlag[];
  comment: string;
  /** ISO time it was written. */
  at: string;
}

export interface AnswerView {
  slot: AnswerSlot;
  /** "Fine-tuned", "Base model", "Answer A"… */
  label: string;
  text: string;
  /** Token F1 in % of this answer against the reference, when scored; hidden (null) in blind mode. */
  f1: number | null;
  /** The grade of exactly this text, or null. */
  grade: GradeView | null;
  /** A grade given to an earlier, different text for the same example and model: shown, never applied. */
  stale: GradeView | null;
  /** False for the other model's answer shown for context outside blind mode. */
  gradable: boolean;
}

export type Preference = 'A' | 'B' | 'tie';

export interface BlindView {
  /** Both answers graded: a preference may be given. */
  canPrefer: boolean;
  preference: Preference | null;
  /** After the preference: which side each letter was. Null until then. */
  revealed: { A: EvaluationSide; B: EvaluationSide } | null;
}

/** A source a model was given (its prediction row's `retrieved`), numbered as in its prompt. */
export interface SourceView extends ShownSource {
  /** The labels of the answers shown that cite it ("Fine-tuned", "Answer A"…); empty when none does. */
  citedBy: string[];
}

export interface ExampleView {
  id: string;
  question: string | null;
  qtype: string;
  reference: string;
  answers: AnswerView[];
  /** The sources the shown answers were given (none for closed-book rows: an empty list). */
  sources: SourceView[];
  /** Blind mode only. */
  blind: BlindView | null;
}

export interface GradingPanelState {
  /** null: no evaluation chosen (or it has no predictions). */
  evaluation: { dir: string; title: string; sides: EvaluationSide[] } | null;
  grader: string;
  mode: GradingMode;
  /** The side graded outside blind mode. */
  side: EvaluationSide;
  filter: GradingFilter;
  qtypes: string[];
  /**
   * Position of the shown example in the filtered list (0-based) and the list's length; index −1 when the shown
   * example has just left the list (graded under "ungraded") and stays on screen until the user moves on.
   */
  position: { index: number; count: number };
  /** Graded answers of the graded side (single) or graded pairs with a preference (blind), over all examples. */
  progress: { graded: number; total: number };
  example: ExampleView | null;
  /** Problems reading predictions or grade files (file:line: what), shown, never fatal. */
  problems: string[];
}

/**
 * Requests about an answer name the example they were made on (`id`): a comment sent as the user moves on must
 * land on the example it was typed for, not on the next one.
 */
export type GradingPanelRequest =
  | { type: 'grade'; id: string; slot: AnswerSlot; grade: GradeValue }
  | { type: 'toggleFlag'; id: string; slot: AnswerSlot; flag: GradeFlag }
  | { type: 'comment'; id: string; slot: AnswerSlot; comment: string }
  | { type: 'navigate'; to: 'next' | 'previous' | 'nextUngraded' }
  | { type: 'setFilter'; filter: GradingFilter }
  | { type: 'setMode'; mode: GradingMode }
  | { type: 'setSide'; side: EvaluationSide }
  | { type: 'prefer'; id: string; preference: Preference }
  | { type: 'openDiff'; id: string; kind: 'reference' | 'baseVsAdapter'; slot: AnswerSlot }
  | { type: 'selectEvaluation' }
  /** Opens a shown source's NIH page in the browser (the host checks it is one of them, and http(s)). */
  | { type: 'openSource'; url: string };
