/** Commands on a whole evaluation: Grade Answers (the panel), Open Answers (a document) and Export Grades. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvaluationSide } from '../../protocol/metricsPanel';
import type { ExportFormat } from '../../util/tableText';
import { exportRequest } from '../../vscode/exportFormat';
import { exportGrades } from '../gradeExport';
import { currentGrades, summarizeGrades } from '../gradeSummary';
import { SIDE_LABELS } from '../gradingSession';
import { answersUri } from './answerDocuments';
import { chooseEvaluation, isSide, type GradingContext } from './gradingContext';

/** Opens the Grading panel on the chosen evaluation (at `{id}` when given). */
export async function gradeAnswers(context: GradingContext, arg?: unknown): Promise<unknown> {
  const dir = await chooseEvaluation(context, arg, 'Grade the answers of which evaluation?');
  if (!dir) return undefined;
  const id =
    arg && typeof arg === 'object' && typeof (arg as { id?: unknown }).id === 'string'
      ? (arg as { id: string }).id
      : undefined;
  return context.panel.showEvaluation(dir, id);
}

/** Opens one side's answers as a Markdown document (the side given, the only one, or picked). */
export async function openAnswers(context: GradingContext, arg?: unknown): Promise<string | undefined> {
  const dir = await chooseEvaluation(context, arg, 'Open the answers of which evaluation?');
  if (!dir) return undefined;
  const evaluation = await context.grades.evaluation(dir);
  const given = (arg as { side?: unknown } | undefined)?.side;
  let side: EvaluationSide | undefined = isSide(given) ? given : undefined;
  if (!side && evaluation.sides.length === 1) side = evaluation.sides[0];
  side ??= (
    await vscode.window.showQuickPick(
      evaluation.sides.map((s) => ({ label: SIDE_LABELS[s], side: s })),
      { title: 'Whose answers?' },
    )
  )?.side;
  if (!side) return undefined;
  if (!evaluation.sides.includes(side))
    throw new Error(`${evaluation.title} has no ${SIDE_LABELS[side]} answers.`);
  const uri = answersUri(dir, side);
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.languages.setTextDocumentLanguage(document, 'markdown');
  await vscode.window.showTextDocument(document, { preview: false });
  return uri.toString();
}

/** Writes an evaluation's grades as CSV or Markdown to `outFile`, else where a save dialog says. */
export async function exportGradesTo(
  { grades }: GradingContext,
  dir: string,
  format: ExportFormat,
  outFile?: string,
): Promise<string | undefined> {
  const evaluation = await grades.evaluation(dir);
  const book = await grades.current();
  const summary = summarizeGrades(evaluation, book);
  if (!summary) throw new Error(`Nobody has graded the answers of ${evaluation.title} yet.`);
  const text = exportGrades(format, evaluation, summary, currentGrades(evaluation, book).grades);
  let target = outFile ? vscode.Uri.file(path.resolve(outFile)) : undefined;
  target ??= await vscode.window.showSaveDialog({
    title: `Export grades as ${format === 'csv' ? 'CSV' : 'Markdown'}`,
    defaultUri: vscode.Uri.file(path.join(dir, format === 'csv' ? 'grades.csv' : 'grades.md')),
    filters: format === 'csv' ? { CSV: ['csv'] } : { Markdown: ['md'] },
  });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
  if (!outFile) void vscode.window.showInformationMessage(`MedQA: grades exported to ${target.fsPath}.`);
  return target.fsPath;
}

/** Export Grades: the evaluation and the format (with `{format, outFile}` given, or picked). */
export async function exportGradesCommand(
  context: GradingContext,
  arg?: unknown,
): Promise<string | undefined> {
  const dir = await chooseEvaluation(context, arg, 'Export the grades of which evaluation?');
  if (!dir) return undefined;
  const request = await exportRequest(
    arg,
    { csv: 'one row per grade', markdown: 'the summary with agreement, for a report' },
    'Export grades as',
  );
  return request && exportGradesTo(context, dir, request.format, request.outFile);
}
