import type { EvaluationSide } from '../protocol/metricsPanel';
import type {
  AnswerSlot,
  F1Band,
  GradeFlag,
  GradeValue,
  GradingFilter,
  GradingMode,
  GradingPanelState,
  Preference,
} from '../protocol/gradingPanel';
import {
  gradeOf,
  preferenceKey,
  type GradeBook,
  type GradeRecord,
  type PreferenceRecord,
} from './gradeStore';
import type { GradableAnswer, GradableExample, GradedEvaluation } from './gradedEvaluation';
import { blindOrder, SIDE_LABELS, viewOfExample } from './exampleView';

export { blindOrder, SIDE_LABELS } from './exampleView';

export const DEFAULT_FILTER: GradingFilter = { status: 'all', qtype: null, f1Band: 'all', order: 'file' };

const F1_BANDS: Record<F1Band, (f1: number) => boolean> = {
  all: () => true,
  lt10: (f1) => f1 < 10,
  '10to30': (f1) => f1 >= 10 && f1 < 30,
  '30to50': (f1) => f1 >= 30 && f1 < 50,
  ge50: (f1) => f1 >= 50,
};

/**
 * One grader's pass over one evaluation: which example is shown, filters, mode, and what each action writes.
 * Pure: the caller reads the book, appends the records this returns, and re-reads (a file watcher does).
 */
export class GradingSession {
  mode: GradingMode = 'single';
  side: EvaluationSide;
  filter: GradingFilter = { ...DEFAULT_FILTER };
  private currentId: string | undefined;

  constructor(
    readonly evaluation: GradedEvaluation,
    readonly grader: string,
    /** Seed of the blind A/B order (recorded with each blind grade and preference). */
    readonly blindSeed: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.side = evaluation.sides.includes('adapter') ? 'adapter' : (evaluation.sides[0] ?? 'adapter');
    this.currentId = evaluation.examples[0]?.id;
  }

  get canBlind(): boolean {
    return this.evaluation.sides.length === 2;
  }

  /**
   * Switches mode. Blind mode starts on an example this grader has not graded blind nor openly, and never on the
   * one on screen: its answers were just seen under their model names, so grading it "blind" would not be.
   */
  setMode(mode: GradingMode, book: GradeBook): void {
    if (mode === 'blind' && !this.canBlind)
      throw new Error('Blind A/B needs base and fine-tuned answers; this evaluation has one side only.');
    if (mode === this.mode) return;
    const seen = this.currentId;
    this.mode = mode;
    if (mode !== 'blind') return;
    const openlyGraded = (e: GradableExample) =>
      (['base', 'adapter'] as const).some((s) => {
        const answer = e.answers[s];
        return answer !== undefined && gradeOf(book, this.grader, answer.identity).current !== undefined;
      });
    const candidates = this.visible(book).filter((e) => e.id !== seen && !this.isDone(book, e));
    const start = candidates.find((e) => !openlyGraded(e)) ?? candidates[0];
    if (start) this.currentId = start.id;
  }

  get currentExampleId(): string | undefined {
    return this.currentId;
  }

  setSide(side: EvaluationSide): void {
    if (!this.evaluation.sides.includes(side))
      throw new Error(`This evaluation has no ${SIDE_LABELS[side]} answers.`);
    this.side = side;
  }

  /** The side behind a slot of the current example. */
  sideOf(slot: AnswerSlot, example: GradableExample): EvaluationSide {
    if (slot === 'A' || slot === 'B') {
      if (this.mode !== 'blind') throw new Error(`Answer ${slot} exists in blind mode only.`);
      return blindOrder(this.blindSeed, example.id)[slot];
    }
    if (this.mode === 'blind') throw new Error('In blind mode answers are A and B.');
    return slot;
  }

  /** This grader's grade of an answer in the current mode (blind grades in blind mode). */
  gradeOf(book: GradeBook, answer: GradableAnswer): ReturnType<typeof gradeOf> {
    return gradeOf(book, this.grader, answer.identity, this.mode === 'blind');
  }

  private isGraded(book: GradeBook, example: GradableExample, side: EvaluationSide): boolean {
    const answer = example.answers[side];
    return answer !== undefined && this.gradeOf(book, answer).current?.grade != null;
  }

  /** This grader's blind preference between the example's two answers. */
  preference(book: GradeBook, example: GradableExample): PreferenceRecord | undefined {
    const { base, adapter } = example.answers;
    if (!base || !adapter) return undefined;
    return book.preferences.get(this.grader)?.get(
      preferenceKey({
        ...adapter.identity,
        predictions: { base: base.identity.prediction, adapter: adapter.identity.prediction },
      }),
    );
  }

  /** Done: the graded side has a grade (single), or both are graded and a preference is given (blind). */
  isDone(book: GradeBook, example: GradableExample): boolean {
    if (this.mode === 'blind')
      return (
        this.preference(book, example) !== undefined &&
        (['base', 'adapter'] as const).every((s) => this.isGraded(book, example, s))
      );
    return this.isGraded(book, example, this.side);
  }

  private matches(book: GradeBook, example: GradableExample): boolean {
    const answer = example.answers[this.side];
    if (this.mode === 'single' && !answer) return false;
    if (this.mode === 'blind' && !(example.answers.base && example.answers.adapter)) return false;
    const { status, qtype, f1Band } = this.filter;
    if (qtype !== null && example.qtype !== qtype) return false;
    if (f1Band !== 'all' && !(answer?.f1 != null && F1_BANDS[f1Band](answer.f1))) return false;
    const sides: EvaluationSide[] = this.mode === 'blind' ? ['base', 'adapter'] : [this.side];
    const grades = sides.map((s) => this.gradeOf(book, example.answers[s] as GradableAnswer));
    if (status === 'ungraded') return !this.isDone(book, example);
    if (status === 'flagged') return grades.some((g) => (g.current?.flags.length ?? 0) > 0);
    if (status === 'stale') return grades.some((g) => g.stale !== undefined);
    return true;
  }

  /** The examples the filters let through, in the chosen order. */
  visible(book: GradeBook): GradableExample[] {
    const shown = this.evaluation.examples.filter((e) => this.matches(book, e));
    if (this.filter.order === 'f1-ascending') {
      const f1 = (e: GradableExample) => e.answers[this.side]?.f1 ?? Number.POSITIVE_INFINITY;
      // A stable sort keeps file order among equal F1s.
      shown.sort((a, b) => f1(a) - f1(b));
    }
    return shown;
  }

  private hasAnswers(example: GradableExample): boolean {
    return this.mode === 'blind'
      ? example.answers.base !== undefined && example.answers.adapter !== undefined
      : example.answers[this.side] !== undefined;
  }

  /**
   * The example on screen. It stays on screen after a grade takes it out of the filtered list (e.g. "ungraded"),
   * so its flags and comment can still be changed; moving on uses the list.
   */
  current(book: GradeBook): GradableExample | undefined {
    const kept = this.evaluation.examples.find((e) => e.id === this.currentId);
    return kept && this.hasAnswers(kept) ? kept : this.visible(book)[0];
  }

  /** New filters: the shown example stays when it passes them, else the first that does. */
  setFilter(book: GradeBook, filter: GradingFilter): void {
    this.filter = { ...filter };
    const shown = this.visible(book);
    if (!shown.some((e) => e.id === this.currentId)) this.currentId = shown[0]?.id;
  }

  /** Moves within the filtered list; `nextUngraded` wraps around and stays put when everything is done. */
  navigate(book: GradeBook, to: 'next' | 'previous' | 'nextUngraded'): void {
    const shown = this.visible(book);
    if (shown.length === 0) return;
    const here = this.current(book)?.id;
    const at = shown.findIndex((e) => e.id === here);
    if (to === 'next') this.currentId = shown[at < 0 ? 0 : Math.min(at + 1, shown.length - 1)].id;
    else if (to === 'previous') this.currentId = shown[at < 0 ? 0 : Math.max(at - 1, 0)].id;
    else {
      for (let step = 1; step <= shown.length; step += 1) {
        const candidate = shown[(Math.max(at, 0) + step - (at < 0 ? 1 : 0)) % shown.length];
        if (!this.isDone(book, candidate)) {
          this.currentId = candidate.id;
          return;
        }
      }
    }
  }

  /** The example a request names (it may no longer be the one shown), else the one shown. */
  exampleFor(book: GradeBook, id?: string): GradableExample {
    const example = id === undefined ? this.current(book) : this.evaluation.examples.find((e) => e.id === id);
    if (!example)
      throw new Error(
        id === undefined ? 'No example is shown.' : `No example '${id}' in ${this.evaluation.title}.`,
      );
    return example;
  }

  goTo(id: string): void {
    if (!this.evaluation.examples.some((e) => e.id === id))
      throw new Error(`No example '${id}' in ${this.evaluation.title}.`);
    this.currentId = id;
  }

  /** The record to append for a change to one answer's grade, flags or comment (the rest is kept). */
  change(
    book: GradeBook,
    slot: AnswerSlot,
    patch: { grade?: GradeValue; toggleFlag?: GradeFlag; flags?: GradeFlag[]; comment?: string },
    exampleId?: string,
  ): GradeRecord {
    const example = this.exampleFor(book, exampleId);
    const side = this.sideOf(slot, example);
    const answer = example.answers[side];
    if (!answer) throw new Error(`Example '${example.id}' has no ${SIDE_LABELS[side]} answer.`);
    const before = this.gradeOf(book, answer).current;
    let flags = patch.flags ?? before?.flags ?? [];
    if (patch.toggleFlag)
      flags = flags.includes(patch.toggleFlag)
        ? flags.filter((f) => f !== patch.toggleFlag)
        : [...flags, patch.toggleFlag];
    return {
      kind: 'grade',
      grader: this.grader,
      at: this.now().toISOString(),
      evaluation: this.evaluation.name,
      ...answer.identity,
      grade: patch.grade ?? before?.grade ?? null,
      flags,
      comment: patch.comment ?? before?.comment ?? '',
      ...(slot === 'A' || slot === 'B' ? { blind: { seed: this.blindSeed, label: slot } } : {}),
    };
  }

  /** The blind preference; refused until both answers are graded, as identities are revealed with it. */
  prefer(book: GradeBook, preference: Preference, exampleId?: string): PreferenceRecord {
    const example = this.exampleFor(book, exampleId);
    if (this.mode !== 'blind') throw new Error('A preference is given in blind mode.');
    const { base, adapter } = example.answers;
    if (!base || !adapter) throw new Error(`Example '${example.id}' lacks one of the two answers.`);
    if (!this.isGraded(book, example, 'base') || !this.isGraded(book, example, 'adapter'))
      throw new Error('Grade both answers before giving a preference.');
    const order = blindOrder(this.blindSeed, example.id);
    return {
      kind: 'preference',
      grader: this.grader,
      at: this.now().toISOString(),
      evaluation: this.evaluation.name,
      example: example.id,
      run: adapter.identity.run,
      checkpoint: adapter.identity.checkpoint,
      decoding: adapter.identity.decoding,
      predictions: { base: base.identity.prediction, adapter: adapter.identity.prediction },
      seed: this.blindSeed,
      order,
      preference,
      preferred: preference === 'tie' ? 'tie' : order[preference],
    };
  }

  /** The panel's whole state (blind mode never puts a side name or an F1 of A/B in it before the reveal). */
  state(book: GradeBook, problems: string[]): GradingPanelState {
    const shown = this.visible(book);
    const example = this.current(book);
    const relevant = this.evaluation.examples.filter((e) =>
      this.mode === 'blind' ? e.answers.base && e.answers.adapter : e.answers[this.side],
    );
    const exampleView = example ? viewOfExample(this, book, example) : null;
    return {
      evaluation: { dir: this.evaluation.dir, title: this.evaluation.title, sides: this.evaluation.sides },
      grader: this.grader,
      mode: this.mode,
      side: this.side,
      filter: this.filter,
      qtypes: [...new Set(this.evaluation.examples.map((e) => e.qtype))].sort(),
      position: { index: example ? shown.findIndex((e) => e.id === example.id) : 0, count: shown.length },
      progress: { graded: relevant.filter((e) => this.isDone(book, e)).length, total: relevant.length },
      example: exampleView,
      problems: [...this.evaluation.problems, ...problems],
    };
  }
}
