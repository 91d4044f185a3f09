import type { EvaluationSide } from '../protocol/metricsPanel';
import type { GradedEvaluation } from './gradedEvaluation';
import { GRADE_LABELS, gradeOf, type AnswerIdentity, type GradeBook, type GradeRecord } from './gradeStore';
import { SIDE_LABELS } from './gradingSession';
import { pushAll } from '../util/arrays';

/** Where one example's answer sits in the rendered document (0-based lines). */
export interface AnswerAnchor {
  id: string;
  /** The `### Answer` heading, where the CodeLens goes. */
  headingLine: number;
  /** The answer's own lines (hovering them shows the reference). */
  firstLine: number;
  lastLine: number;
}

export interface AnswersDocument {
  text: string;
  anchors: AnswerAnchor[];
}

const f1Text = (f1: number | null) => (f1 === null ? '' : ` · F1 ${f1.toFixed(1)}`);

/**
 * One side's answers as a readable Markdown document, one section per example: number, id, question type, token
 * F1, the question and the answer. Answers are model output and are shown as written (the document is plain
 * text in an editor, nothing is rendered).
 */
export function renderAnswers(evaluation: GradedEvaluation, side: EvaluationSide): AnswersDocument {
  const lines: string[] = [
    `# ${SIDE_LABELS[side]} answers · ${evaluation.title}`,
    '',
    'Grade each answer with the CodeLens above it (LiveQA-Med: 1 Incorrect · 2 Incorrect but related · ' +
      '3 Correct but incomplete · 4 Correct and complete). Hover an answer to see its reference.',
    '',
  ];
  const anchors: AnswerAnchor[] = [];
  let number = 0;
  for (const example of evaluation.examples) {
    const answer = example.answers[side];
    if (!answer) continue;
    number += 1;
    lines.push('---', '', `## ${number} · ${example.id} · ${example.qtype}${f1Text(answer.f1)}`, '');
    lines.push(`**Question:** ${(example.question ?? '(not recorded)').replace(/\s*\n\s*/g, ' ')}`, '');
    const headingLine = lines.length;
    lines.push('### Answer');
    const body = (answer.text.trim() ? answer.text : '(empty answer)').replace(/\r\n?/g, '\n').split('\n');
    const firstLine = lines.length;
    pushAll(lines, body);
    anchors.push({ id: example.id, headingLine, firstLine, lastLine: lines.length - 1 });
    lines.push('');
  }
  if (number === 0) lines.push(`This evaluation has no ${SIDE_LABELS[side]} answers.`);
  return { text: lines.join('\n') + '\n', anchors };
}

/**
 * The grade an answers document shows for an answer: the grader's open grade, else their blind one (Metrics counts
 * both the same way, so a blind-graded answer must not read "Ungraded" here).
 */
export function shownGrade(
  book: GradeBook,
  grader: string,
  answer: AnswerIdentity,
): { record: GradeRecord; blind: boolean } | undefined {
  const open = gradeOf(book, grader, answer).current;
  if (open?.grade) return { record: open, blind: false };
  const blind = gradeOf(book, grader, answer, true).current;
  if (blind?.grade) return { record: blind, blind: true };
  return open ? { record: open, blind: false } : undefined;
}

/** The CodeLens title of an answer's grade: the grade shown, a stale one, or "Ungraded", with the flags. */
export function gradeLensTitle(book: GradeBook, grader: string, answer: AnswerIdentity): string {
  const shown = shownGrade(book, grader, answer);
  const current = shown?.record;
  const flags = current?.flags.length ? ` · $(warning) ${current.flags.join(', ')}` : '';
  if (current?.grade)
    return `$(star-full) ${current.grade} · ${GRADE_LABELS[current.grade]}${shown?.blind ? ' (blind)' : ''}${flags}`;
  const { stale } = gradeOf(book, grader, answer);
  if (stale?.grade) return `$(history) Ungraded (was ${stale.grade} for an earlier text)`;
  return `$(circle-outline) Ungraded${flags}`;
}
