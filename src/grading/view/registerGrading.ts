/**
 * Wires grading into VS Code: the grade service, answers documents with their CodeLens and hovers, the Grading
 * panel, and the commands (in evaluationCommands.ts, answerCommands.ts and diffCommands.ts, given a GradingContext).
 */
import * as vscode from 'vscode';
import type { ArtifactIndex } from '../../artifacts/artifactIndex';
import { Commands } from '../../commands';
import { pickEvaluation } from '../../evaluation/view/evaluationTargets';
import type { EvaluationSide, GradeSummary } from '../../protocol/metricsPanel';
import type { ExportFormat } from '../../util/tableText';
import type { ExtensionServices } from '../../vscode/services';
import { summarizeGrades } from '../gradeSummary';
import {
  ANSWER_TEXT_SCHEME,
  ANSWERS_SCHEME,
  AnswerDocuments,
  compareBaseVsFineTuned,
  compareWithReference,
} from './answerDocuments';
import { setFlags, setGrade } from './answerCommands';
import { diffBaseVsFineTuned, diffWithReference } from './diffCommands';
import { exportGradesCommand, exportGradesTo, gradeAnswers, openAnswers } from './evaluationCommands';
import { GradeLensProvider } from './gradeLenses';
import { GradeService } from './gradeService';
import type { GradingContext } from './gradingContext';
import { GradingPanel } from './gradingPanel';

/** What other features (the Metrics panel) and tests use of grading. */
export interface GradingApi {
  readonly panel: GradingPanel;
  readonly grades: GradeService;
  summary(evaluationDir: string): Promise<GradeSummary | null>;
  onDidChange: vscode.Event<void>;
  grade(evaluationDir: string): Promise<unknown>;
  exportGrades(evaluationDir: string, format: ExportFormat, outFile?: string): Promise<string | undefined>;
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

  const commands: GradingContext = { services, artifacts, grades, documents, panel };
  const api: GradingApi = {
    panel,
    grades,
    onDidChange: grades.onDidChange,
    async summary(dir) {
      return summarizeGrades(await grades.evaluation(dir), await grades.current());
    },
    grade: (dir) => panel.showEvaluation(dir),
    exportGrades: (dir, format, outFile) => exportGradesTo(commands, dir, format, outFile),
  };
  services.registerCommand(Commands.gradingGradeAnswers, (arg?: unknown) => gradeAnswers(commands, arg));
  services.registerCommand(Commands.gradingOpenAnswers, (arg?: unknown) => openAnswers(commands, arg));
  services.registerCommand(Commands.gradingSetGrade, (arg?: unknown) => setGrade(commands, arg));
  services.registerCommand(Commands.gradingSetFlags, (arg?: unknown) => setFlags(commands, arg));
  services.registerCommand(Commands.gradingCompareWithReference, (arg?: unknown) =>
    diffWithReference(commands, arg),
  );
  services.registerCommand(Commands.gradingCompareBaseVsFineTuned, (arg?: unknown) =>
    diffBaseVsFineTuned(commands, arg),
  );
  services.registerCommand(Commands.gradingExportGrades, (arg?: unknown) =>
    exportGradesCommand(commands, arg),
  );
  return api;
}
