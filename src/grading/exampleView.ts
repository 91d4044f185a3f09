/**
 * What the Grading panel shows of one example: its answers as the grader sees them (by model name, or blind as A
 * and B in an order fixed by the seed), their grades, and the sources they were given.
 */
import { createHash } from 'node:crypto';
import type { EvaluationSide } from '../protocol/metricsPanel';
import type {
  AnswerSlot,
  AnswerView,
  GradeView,
  GradingMode,
  GradingPanelState,
} from '../protocol/gradingPanel';
import { sourcesOf } from './answerSources';
import type { gradeOf, GradeBook, GradeRecord, PreferenceRecord } from './gradeStore';
import type { GradableAnswer, GradableExample } from './gradedEvaluation';

export const SIDE_LABELS: Record<EvaluationSide, string> = { adapter: 'Fine-tuned', base: 'Base model' };

/** The sides shown as A and B for one example: a hash of seed and id, so the same seed gives the same order. */
export function blindOrder(seed: number, exampleId: string): { A: EvaluationSide; B: EvaluationSide } {
  const byte = createHash('sha256').update(`${seed}\0${exampleId}`).digest()[0];
  return byte % 2 === 0 ? { A: 'adapter', B: 'base' } : { A: 'base', B: 'adapter' };
}

/** What the view needs of a grading session. */
export interface ExampleViewSource {
  readonly mode: GradingMode;
  readonly side: EvaluationSide;
  readonly blindSeed: number;
  gradeOf(book: GradeBook, answer: GradableAnswer): ReturnType<typeof gradeOf>;
  preference(book: GradeBook, example: GradableExample): PreferenceRecord | undefined;
  sideOf(slot: AnswerSlot, example: GradableExample): EvaluationSide;
}

function view(record: GradeRecord | undefined): GradeView | null {
  return record ? { grade: record.grade, flags: record.flags, comment: record.comment, at: record.at } : null;
}

function answerView(
  session: ExampleViewSource,
  book: GradeBook,
  slot: AnswerSlot,
  side: EvaluationSide,
  answer: GradableAnswer,
  gradable: boolean,
): AnswerView {
  const { current, stale } = session.gradeOf(book, answer);
  const blind = slot === 'A' || slot === 'B';
  return {
    slot,
    label: blind ? `Answer ${slot}` : SIDE_LABELS[side],
    text: answer.text,
    f1: blind ? null : answer.f1,
    grade: view(current),
    stale: view(stale),
    gradable,
  };
}

/** The example as the panel shows it (blind mode never puts a side name or an F1 of A/B in it before the reveal). */
export function viewOfExample(
  session: ExampleViewSource,
  book: GradeBook,
  example: GradableExample,
): NonNullable<GradingPanelState['example']> {
  const answers: AnswerView[] = [];
  let blind: NonNullable<GradingPanelState['example']>['blind'] = null;
  if (session.mode === 'blind') {
    const order = blindOrder(session.blindSeed, example.id);
    for (const slot of ['A', 'B'] as const)
      answers.push(
        answerView(session, book, slot, order[slot], example.answers[order[slot]] as GradableAnswer, true),
      );
    const preference = session.preference(book, example);
    blind = {
      canPrefer: answers.every((a) => a.grade?.grade != null),
      preference: preference?.preference ?? null,
      revealed: preference ? order : null,
    };
  } else {
    const side = session.side;
    const other: EvaluationSide = side === 'adapter' ? 'base' : 'adapter';
    answers.push(answerView(session, book, side, side, example.answers[side] as GradableAnswer, true));
    const context = example.answers[other];
    if (context) answers.push(answerView(session, book, other, other, context, false));
  }
  return {
    id: example.id,
    question: example.question,
    qtype: example.qtype,
    reference: example.reference,
    answers,
    sources: sourcesOf(
      answers.map((view) => ({
        label: view.label,
        answer: example.answers[session.sideOf(view.slot, example)],
      })),
    ),
    blind,
  };
}
