import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { EvaluationSide } from '../../protocol/metricsPanel';
import type { ArtifactIndex } from '../../artifacts/artifactIndex';
import type { ExtensionServices } from '../../vscode/services';
import { exportRequest } from '../../vscode/exportFormat';
import { SIDES } from '../evaluationFolder';
import { evaluateCheckpoint } from './evaluateCheckpoint';
import { evaluationDirOf, pickEvaluation, requireEvaluationFolder } from './evaluationTargets';
import { MetricsPanel, writeExport, type HumanGrades } from './metricsPanel';
import { openPredictions, PREDICTION_SCHEME, PredictionDocuments } from './predictionsView';

const isSide = (value: unknown): value is EvaluationSide => SIDES.includes(value as EvaluationSide);

/** `{ evaluationDir, side, id }`, a predictions.jsonl, a side folder or an evaluation folder. */
function predictionsTarget(arg: unknown): { dir?: string; side?: EvaluationSide; id?: string } {
  const record =
    arg && typeof arg === 'object' && !(arg instanceof vscode.Uri)
      ? (arg as Record<string, unknown>)
      : undefined;
  let dir = evaluationDirOf(arg);
  let side = isSide(record?.side) ? record.side : undefined;
  if (dir && path.basename(dir) === 'predictions.jsonl') dir = path.dirname(dir);
  if (dir && isSide(path.basename(dir))) {
    side ??= path.basename(dir) as EvaluationSide;
    dir = path.dirname(dir);
  }
  return { dir, side, id: typeof record?.id === 'string' ? record.id : undefined };
}

/** The evaluation commands, the Metrics panel and the read-only prediction documents. */
export function registerEvaluation(
  services: ExtensionServices,
  grades: HumanGrades,
  artifacts: ArtifactIndex,
): void {
  const { context } = services;
  const panel = new MetricsPanel(
    services,
    (dir, side, id) => openPredictions(services, dir, side, id),
    grades,
    artifacts,
  );
  context.subscriptions.push(
    panel,
    vscode.workspace.registerTextDocumentContentProvider(PREDICTION_SCHEME, new PredictionDocuments()),
  );

  /** The folder a command acts on: given, else the one the panel shows, else the user's pick. */
  const chooseEvaluation = async (arg: unknown, title: string): Promise<string | undefined> => {
    const given = evaluationDirOf(arg);
    if (given) return requireEvaluationFolder(given);
    return panel.shown ?? (await pickEvaluation(artifacts, undefined, title));
  };

  services.registerCommand(Commands.evaluationEvaluateCheckpoint, (arg?: unknown) =>
    evaluateCheckpoint(services, artifacts, arg, async (dir) => panel.showEvaluation(dir)),
  );

  services.registerCommand(Commands.evaluationShowMetrics, async (arg?: unknown) => {
    const runDir =
      arg && typeof arg === 'object' && (arg as { kind?: unknown }).kind === 'run'
        ? (arg as { runDir?: unknown }).runDir
        : undefined;
    const given = evaluationDirOf(arg);
    const dir = given
      ? requireEvaluationFolder(given)
      : await pickEvaluation(artifacts, typeof runDir === 'string' ? runDir : undefined);
    if (!dir) return undefined;
    panel.showEvaluation(dir);
    return dir;
  });

  services.registerCommand(Commands.evaluationOpenPredictions, async (arg?: unknown) => {
    const target = predictionsTarget(arg);
    const dir = target.dir
      ? requireEvaluationFolder(target.dir)
      : await chooseEvaluation(undefined, 'Open the predictions of which evaluation?');
    if (!dir) return undefined;
    return openPredictions(services, dir, target.side, target.id);
  });

  services.registerCommand(Commands.evaluationExportMetrics, async (arg?: unknown) => {
    const dir = await chooseEvaluation(arg, 'Export the metrics of which evaluation?');
    if (!dir) return undefined;
    const request = await exportRequest(arg, {
      csv: 'one row per metric and question type, raw numbers',
      markdown: 'tables and hygiene warnings, for a report',
    });
    if (!request) return undefined;
    if (request.outFile) {
      const { file, problems } = await writeExport(dir, request.format, path.resolve(request.outFile));
      problems.forEach((p) => services.log.warn(p));
      return file;
    }
    return panel.exportInteractively(dir, request.format);
  });
}
