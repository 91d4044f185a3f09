/**
 * What grading's command modules are given (instead of one closure over everything), and the two questions they
 * share: which evaluation a command is about, and which answer.
 */
import * as path from 'node:path';
import type { ArtifactIndex } from '../../artifacts/artifactIndex';
import {
  checkpointOf,
  evaluationDirOf,
  pickEvaluation,
  requireEvaluationFolder,
} from '../../evaluation/view/evaluationTargets';
import type { EvaluationSide } from '../../protocol/metricsPanel';
import { needsFirst } from '../../util/prerequisite';
import type { ExtensionServices } from '../../vscode/services';
import { GradingSession } from '../gradingSession';
import type { AnswerDocuments } from './answerDocuments';
import type { AnswerTarget } from './gradeLenses';
import type { GradeService } from './gradeService';
import type { GradingPanel } from './gradingPanel';

export interface GradingContext {
  readonly services: ExtensionServices;
  readonly artifacts: ArtifactIndex;
  readonly grades: GradeService;
  readonly documents: AnswerDocuments;
  readonly panel: GradingPanel;
}

export const isSide = (v: unknown): v is EvaluationSide => v === 'base' || v === 'adapter';

/** `{ dir, side, id }` from a CodeLens, or the answer under the cursor of an answers document. */
export function answerTarget(arg: unknown): AnswerTarget | undefined {
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

/** An evaluation from a folder, `{evaluationDir}`, a run or checkpoint tree item, the open panel, or a pick. */
export async function chooseEvaluation(
  { artifacts, panel }: GradingContext,
  arg: unknown,
  title: string,
): Promise<string | undefined> {
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
}

/** An open-mode session of this grader on the target's evaluation, showing the target answer. */
export async function sessionFor(grades: GradeService, target: AnswerTarget): Promise<GradingSession> {
  const session = new GradingSession(await grades.evaluation(target.dir), grades.grader(), 0);
  session.setSide(target.side);
  session.goTo(target.id);
  return session;
}
