/** Compare with Reference and Compare Base vs Fine-tuned: diffs of one answer, wherever the user is. */
import * as vscode from 'vscode';
import { needsFirst } from '../../util/prerequisite';
import {
  ANSWERS_SCHEME,
  answersQuery,
  compareBaseVsFineTuned,
  compareWithReference,
} from './answerDocuments';
import type { AnswerTarget } from './gradeLenses';
import { answerTarget, type GradingContext } from './gradingContext';

/** The answer a diff command acts on: given, the one under the cursor, or the grading panel's. */
async function diffTarget({ documents, grades, panel }: GradingContext, arg: unknown): Promise<AnswerTarget> {
  const given = answerTarget(arg);
  if (given) return given;
  const editor = vscode.window.activeTextEditor;
  if (editor?.document.uri.scheme === ANSWERS_SCHEME) {
    const { dir, side } = answersQuery(editor.document.uri);
    const { anchors } = await documents.anchors(editor.document.uri);
    const line = editor.selection.active.line;
    const anchor = [...anchors].reverse().find((a) => a.headingLine <= line);
    if (anchor) return { dir, side, id: anchor.id };
  }
  const session = panel.current;
  const example = session && session.current(await grades.current());
  if (session && example) return { dir: session.evaluation.dir, side: session.side, id: example.id };
  throw needsFirst(
    'gradeAnswers',
    'Choose an answer first: use the CodeLens above it, or open it in the Grading panel.',
  );
}

export async function diffWithReference(context: GradingContext, arg?: unknown): Promise<string> {
  const target = await diffTarget(context, arg);
  return compareWithReference(context.grades, target.dir, target.side, target.id);
}

export async function diffBaseVsFineTuned(context: GradingContext, arg?: unknown): Promise<string> {
  const target = await diffTarget(context, arg);
  return compareBaseVsFineTuned(context.grades, target.dir, target.id);
}
