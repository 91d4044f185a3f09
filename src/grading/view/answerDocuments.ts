import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvaluationSide } from '../../protocol/metricsPanel';
import { renderAnswers, type AnswersDocument } from '../answersDocument';
import { ANSWER_TEXT_EXTENSION, sentencePerLine } from '../answerText';
import type { GradableExample } from '../gradedEvaluation';
import { SIDE_LABELS } from '../gradingSession';
import type { GradeService } from './gradeService';

export const ANSWERS_SCHEME = 'medqa-answers';
export const ANSWER_TEXT_SCHEME = 'medqa-answer-text';

export type TextPart = 'reference' | EvaluationSide;

interface AnswersQuery {
  dir: string;
  side: EvaluationSide;
}

interface TextQuery {
  dir: string;
  id: string;
  part: TextPart;
}

const fileSafe = (text: string) => text.replace(/[^\w.-]+/g, '_').slice(-60) || 'answer';

export function answersUri(dir: string, side: EvaluationSide): vscode.Uri {
  return vscode.Uri.from({
    scheme: ANSWERS_SCHEME,
    path: `/${SIDE_LABELS[side]} answers · ${path.basename(path.dirname(path.dirname(dir)))} · ${path.basename(dir)}.md`,
    query: JSON.stringify({ dir, side } satisfies AnswersQuery),
  });
}

export function answerTextUri(dir: string, id: string, part: TextPart): vscode.Uri {
  const label = part === 'reference' ? 'Reference' : SIDE_LABELS[part];
  return vscode.Uri.from({
    scheme: ANSWER_TEXT_SCHEME,
    // The extension gives the document its language, and with it the word wrap package.json sets for it.
    path: `/${fileSafe(id)} · ${label}${ANSWER_TEXT_EXTENSION}`,
    query: JSON.stringify({ dir, id, part } satisfies TextQuery),
  });
}

export function answersQuery(uri: vscode.Uri): AnswersQuery {
  return JSON.parse(uri.query) as AnswersQuery;
}

export async function exampleOf(grades: GradeService, dir: string, id: string): Promise<GradableExample> {
  const evaluation = await grades.evaluation(dir);
  const example = evaluation.examples.find((e) => e.id === id);
  if (!example) throw new Error(`No example '${id}' in the predictions of ${evaluation.title}.`);
  return example;
}

/**
 * Read-only documents: an evaluation side's answers as one Markdown document (`medqa-answers:`), and single texts
 * laid out one sentence per line for VS Code's diff editor (`medqa-answer-text:`). Both re-render when the
 * predictions change.
 */
export class AnswerDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly rendered = new Map<string, AnswersDocument>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly grades: GradeService) {
    // Grades do not change the text; a re-read evaluation (new predictions) may.
    this.subscription = grades.onDidChange(() => {
      for (const doc of vscode.workspace.textDocuments)
        if (doc.uri.scheme === ANSWERS_SCHEME || doc.uri.scheme === ANSWER_TEXT_SCHEME)
          this.changed.fire(doc.uri);
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    if (uri.scheme === ANSWERS_SCHEME) {
      const { dir, side } = answersQuery(uri);
      const document = renderAnswers(await this.grades.evaluation(dir), side);
      this.rendered.set(uri.toString(), document);
      return document.text;
    }
    const { dir, id, part } = JSON.parse(uri.query) as TextQuery;
    const example = await exampleOf(this.grades, dir, id);
    const text = part === 'reference' ? example.reference : example.answers[part]?.text;
    if (text === undefined)
      throw new Error(`Example '${id}' has no ${SIDE_LABELS[part as EvaluationSide]} answer.`);
    return sentencePerLine(text);
  }

  /** Anchors of a rendered answers document (rendering it when needed). */
  async anchors(uri: vscode.Uri): Promise<AnswersDocument> {
    const known = this.rendered.get(uri.toString());
    if (known) return known;
    await this.provideTextDocumentContent(uri);
    return this.rendered.get(uri.toString()) as AnswersDocument;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** Opens VS Code's diff editor: reference (left) vs one side's answer (right). */
export async function compareWithReference(
  grades: GradeService,
  dir: string,
  side: EvaluationSide,
  id: string,
): Promise<string> {
  const example = await exampleOf(grades, dir, id);
  if (!example.answers[side]) throw new Error(`Example '${id}' has no ${SIDE_LABELS[side]} answer.`);
  const right = answerTextUri(dir, id, side);
  await vscode.commands.executeCommand(
    'vscode.diff',
    answerTextUri(dir, id, 'reference'),
    right,
    `${id}: Reference ↔ ${SIDE_LABELS[side]}`,
    { preview: true },
  );
  return right.toString();
}

/** Opens VS Code's diff editor: base model's answer (left) vs the fine-tuned one (right). */
export async function compareBaseVsFineTuned(grades: GradeService, dir: string, id: string): Promise<string> {
  const example = await exampleOf(grades, dir, id);
  if (!example.answers.base || !example.answers.adapter)
    throw new Error(`Example '${id}' needs both a base and a fine-tuned answer to compare them.`);
  const right = answerTextUri(dir, id, 'adapter');
  await vscode.commands.executeCommand(
    'vscode.diff',
    answerTextUri(dir, id, 'base'),
    right,
    `${id}: Base model ↔ Fine-tuned`,
    { preview: true },
  );
  return right.toString();
}
