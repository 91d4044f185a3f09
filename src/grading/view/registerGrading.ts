import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { ExportFormat } from '../../util/tableText';
import {
  checkpointOf,
  evaluationDirOf,
  pickEvaluation,
  requireEvaluationFolder,
} from '../../evaluation/view/evaluationTargets';
import type { EvaluationSide, GradeSummary } from '../../protocol/metricsPanel';
import type { GradeFlag, GradeValue } from '../../protocol/gradingPanel';
import type { ArtifactIndex } from '../../artifacts/artifactIndex';
import type { ExtensionServices } from '../../vscode/services';
import { exportRequest } from '../../vscode/exportFormat';
import { shownGrade } from '../answersDocument';
import { exportGrades } from '../gradeExport';
import { GRADE_FLAGS, GRADE_LABELS } from '../gradeStore';
import { currentGrades, summarizeGrades } from '../gradeSummary';
import { GradingSession, SIDE_LABELS } from '../gradingSession';
import { FLAG_LABELS } from '../gradeExport';
import {
  ANSWER_TEXT_SCHEME,
  ANSWERS_SCHEME,
  AnswerDocuments,
  answersQuery,
  answersUri,
  compareBaseVsFineTuned,
  compareWithReference,
} from './answerDocuments';
import { GradeLensProvider, type AnswerTarget } from './gradeLenses';
import { GradeService } from './gradeService';
import { GradingPanel } from './gradingPanel';
import { needsFirst } from '../../util/prerequisite';

/** What other features (the Metrics panel) and tests use of grading. */
export interface GradingApi {
  readonly panel: GradingPanel;
  readonly grades: GradeService;
  summary(evaluationDir: string): Promise<GradeSummary | null>;
  onDidChange: vscode.Event<void>;
  grade(evaluationDir: string): Promise<unknown>;
  exportGrades(evaluationDir: string, format: ExportFormat, outFile?: string): Promise<string | undefined>;
}

const isSide = (v: unknown): v is EvaluationSide => v === 'base' || v === 'adapter';

/** `{ dir, side, id }` from a CodeLens, or the answer under the cursor of an answers document. */
function answerTarget(arg: unknown): AnswerTarget | undefined {
  const record = arg && typeof arg === 'object' ? (arg as Record<string, unknown>) : undefined;
  const dir =
    typeof record?.dir === 'string'
      ? record.dir
      : typeof record?.evaluationDir === 'string'
        ? record.evaluationDir
        : undefined;
  if (dir && isSide(record?.side) && typeof record?.id === 'string')
    return { dir, side: record.side, id: record.id };
  return undefined;
}

export function registerGrading(services: ExtensionServices, artifacts: ArtifactIndex): GradingApi {
  const { context } = services;
  const grades = new GradeService(services, artifacts);
  const documents = new AnswerDocuments(grades);
  const lenses = new GradeLensProvider(grades, documents);
  const compare = {
    withReference: (dir: string, side: EvaluationSide, id: string) =>
      compareWithReference(grades, dir, side, id),
    baseVsAdapter: (dir: string, id: string) => compareBaseVsFineTuned(grades, dir, id),
    pickEvaluation: () => pickEvaluation(artifacts, undefined, 'Grade the answers of which evaluation?'),
  };
  const panel = new GradingPanel(services, grades, compare);
  const lensSelector: vscode.DocumentSelector = [
    { scheme: ANSWERS_SCHEME },
    { scheme: 'file', pattern: '**/{base,adapter}/predictions.jsonl' },
  ];
  context.subscriptions.push(
    grades,
    documents,
    lenses,
    panel,
    vscode.workspace.registerTextDocumentContentProvider(ANSWERS_SCHEME, documents),
    vscode.workspace.registerTextDocumentContentProvider(ANSWER_TEXT_SCHEME, documents),
    vscode.languages.registerCodeLensProvider(lensSelector, lenses),
    vscode.languages.registerHoverProvider(lensSelector, lenses),
  );

  /** An evaluation from a folder, `{evaluationDir}`, a run or checkpoint tree item, the open panel, or a pick. */
  const chooseEvaluation = async (arg: unknown, title: string): Promise<string | undefined> => {
    const given = evaluationDirOf(arg);
    if (given) return requireEvaluationFolder(given);
    const checkpoint = checkpointOf(arg);
    const runDir =
      checkpoint?.runDir ??
      (arg && typeof arg === 'object' && typeof (arg as { runDir?: unknown }).runDir === 'string'
        ? (arg as { runDir: string }).runDir
        : undefined);
    if (checkpoint) {
      const entries = (await artifacts.evaluationsOf(checkpoint.runDir)).filter(
        (e) => e.record && path.resolve(e.dir, e.record.checkpoint) === path.resolve(checkpoint.checkpoint),
      );
      if (entries.length === 0)
        throw needsFirst(
          'evaluateCheckpoint',
          `${path.basename(checkpoint.checkpoint)} has not been evaluated yet: evaluate it first.`,
          arg,
        );
      if (entries.length === 1) return entries[0].dir;
    }
    return (!runDir && panel.shown) || (await pickEvaluation(artifacts, runDir, title));
  };

  const sessionFor = async (target: AnswerTarget): Promise<GradingSession> => {
    const session = new GradingSession(await grades.evaluation(target.dir), grades.grader(), 0);
    session.setSide(target.side);
    session.goTo(target.id);
    return session;
  };

  const api: GradingApi = {
    panel,
    grades,
    onDidChange: grades.onDidChange,
    async summary(dir) {
      return summarizeGrades(await grades.evaluation(dir), await grades.current());
    },
    grade: (dir) => panel.showEvaluation(dir),
    async exportGrades(dir, format, outFile) {
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
    },
  };

  services.registerCommand(Commands.gradingGradeAnswers, async (arg?: unknown) => {
    const dir = await chooseEvaluation(arg, 'Grade the answers of which evaluation?');
    if (!dir) return undefined;
    const id =
      arg && typeof arg === 'object' && typeof (arg as { id?: unknown }).id === 'string'
        ? (arg as { id: string }).id
        : undefined;
    return panel.showEvaluation(dir, id);
  });

  services.registerCommand(Commands.gradingOpenAnswers, async (arg?: unknown) => {
    const dir = await chooseEvaluation(arg, 'Open the answers of which evaluation?');
    if (!dir) return undefined;
    const evaluation = await grades.evaluation(dir);
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
  });

  services.registerCommand(Commands.gradingSetGrade, async (arg?: unknown) => {
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
    const session = await sessionFor(target);
    await grades.append(session.change(await grades.current(), target.side, { grade }));
    return grade;
  });

  services.registerCommand(Commands.gradingSetFlags, async (arg?: unknown) => {
    const target = answerTarget(arg);
    if (!target)
      throw new Error('Flag an answer from its CodeLens in an answers document or a predictions.jsonl.');
    const session = await sessionFor(target);
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
  });

  /** The answer a diff command acts on: given, the one under the cursor, or the grading panel's. */
  const diffTarget = async (arg: unknown): Promise<AnswerTarget> => {
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
  };

  services.registerCommand(Commands.gradingCompareWithReference, async (arg?: unknown) => {
    const target = await diffTarget(arg);
    return compareWithReference(grades, target.dir, target.side, target.id);
  });

  services.registerCommand(Commands.gradingCompareBaseVsFineTuned, async (arg?: unknown) => {
    const target = await diffTarget(arg);
    return compareBaseVsFineTuned(grades, target.dir, target.id);
  });

  services.registerCommand(Commands.gradingExportGrades, async (arg?: unknown) => {
    const dir = await chooseEvaluation(arg, 'Export the grades of which evaluation?');
    if (!dir) return undefined;
    const request = await exportRequest(
      arg,
      { csv: 'one row per grade', markdown: 'the summary with agreement, for a report' },
      'Export grades as',
    );
    return request && api.exportGrades(dir, request.format, request.outFile);
  });

  return api;
}
