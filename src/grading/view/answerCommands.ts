/** Set Grade and Set Flags on one answer, from its CodeLens (the grade or flags given, else picked). */
import * as vscode from 'vscode';
import type { GradeFlag, GradeValue } from '../../protocol/gradingPanel';
import { shownGrade } from '../answersDocument';
import { FLAG_LABELS } from '../gradeExport';
import { GRADE_FLAGS, GRADE_LABELS } from '../gradeStore';
import { SIDE_LABELS } from '../gradingSession';
import { answerTarget, sessionFor, type GradingContext } from './gradingContext';

export async function setGrade({ grades }: GradingContext, arg?: unknown): Promise<GradeValue | undefined> {
  const target = answerTarget(arg);
  if (!target)
    throw new Error('Grade an answer from its CodeLens in an answers document or a predictions.jsonl.');
  let grade = (arg as { grade?: unknown }).grade as GradeValue | undefined;
  if (grade !== undefined && ![1, 2, 3, 4].includes(grade))
    throw new Error(`A grade is 1 to 4, not ${JSON.stringify(grade)}.`);
  grade ??= (
    await vscode.window.showQuickPick(
      ([1, 2, 3, 4] as const).map((g) => ({ label: `${g}`, description: GRADE_LABELS[g], grade: g })),
      { title: `Grade the ${SIDE_LABELS[target.side]} answer to ${target.id}` },
    )
  )?.grade;
  if (!grade) return undefined;
  const session = await sessionFor(grades, target);
  await grades.append(session.change(await grades.current(), target.side, { grade }));
  return grade;
}

export async function setFlags({ grades }: GradingContext, arg?: unknown): Promise<GradeFlag[] | undefined> {
  const target = answerTarget(arg);
  if (!target)
    throw new Error('Flag an answer from its CodeLens in an answers document or a predictions.jsonl.');
  const session = await sessionFor(grades, target);
  const book = await grades.current();
  const answer = session.exampleFor(book, target.id).answers[target.side];
  // What the lens shows: the open grade, else the blind one, which the new open record then keeps (a flags-only
  // open record would otherwise hide the blind grade from Metrics).
  const shown = answer && shownGrade(book, session.grader, answer.identity);
  const before = shown?.record.flags ?? [];
  let flags = (arg as { flags?: unknown }).flags as GradeFlag[] | undefined;
  if (flags !== undefined && !(Array.isArray(flags) && flags.every((f) => GRADE_FLAGS.includes(f))))
    throw new Error(`Unknown flags ${JSON.stringify(flags)}; use ${GRADE_FLAGS.join(', ')}.`);
  if (!flags) {
    const picked = await vscode.window.showQuickPick(
      GRADE_FLAGS.map((f) => ({ label: FLAG_LABELS[f], picked: before.includes(f), flag: f })),
      { title: `Flags of the ${SIDE_LABELS[target.side]} answer to ${target.id}`, canPickMany: true },
    );
    if (!picked) return undefined;
    flags = picked.map((p) => p.flag);
  }
  const record = session.change(book, target.side, { flags });
  if (shown?.blind) {
    record.grade = shown.record.grade;
    record.comment = shown.record.comment;
  }
  await grades.append(record);
  return flags;
}
