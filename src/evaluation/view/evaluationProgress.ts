import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../../vscode/services';
import {
  leftText,
  runEvaluation,
  secondsLeft,
  type EvaluationOutcome,
  type EvaluationPlan,
  type EvaluationStage,
} from '../evaluationJob';

function stageText(stage: EvaluationStage): string {
  if (stage.kind === 'index') return 'indexing the training data for retrieval';
  if (stage.kind === 'baseline') return 'retrieval-only baseline';
  if (stage.kind === 'compare')
    return stage.against === 'base'
      ? 'comparing base and fine-tuned'
      : 'comparing fine-tuned and retrieval-only';
  return stage.side === 'adapter' ? 'fine-tuned model answering' : 'base model answering';
}

/**
 * Runs the plan under a cancellable notification whose bar moves stage by stage and, while a model answers, by
 * its answers, with the time left as measured so far.
 */
export function runWithProgress(
  log: ExtensionServices['log'],
  plan: EvaluationPlan,
  stages: readonly EvaluationStage[],
): Thenable<EvaluationOutcome> {
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `MedQA: evaluating ${path.basename(plan.checkpoint)}`,
      cancellable: true,
    },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => {
        log.info(
          'Evaluation cancelled by the user: stopping after the current batch, keeping finished answers',
        );
        abort.abort();
      });
      let current = 0;
      let reported = 0;
      let stageStarted = Date.now();
      const advance = (fraction: number, message: string) => {
        const total = ((current + fraction) / stages.length) * 100;
        progress.report({ message, increment: Math.max(0, total - reported) });
        reported = Math.max(reported, total);
      };
      return runEvaluation(plan, {
        signal: abort.signal,
        onStage: (stage, index) => {
          current = index;
          stageStarted = Date.now();
          advance(0, `${stageText(stage)}…`);
        },
        onProgress: (side, done, total) => {
          // Timed from the evaluator's start of generation, so loading the model does not count as answering.
          if (done === 0) stageStarted = Date.now();
          const laterGenerations = stages.slice(current + 1).filter((s) => s.kind === 'evaluate').length;
          const left = secondsLeft({ elapsedMs: Date.now() - stageStarted, done, total }, laterGenerations);
          advance(
            total ? done / total : 0,
            `${side === 'adapter' ? 'fine-tuned' : 'base'} model: ${done}/${total} answers` +
              (left === undefined ? '' : ` · ${leftText(left)} (measured)`),
          );
        },
        onOutput: (line, stream) =>
          stream === 'stderr' ? log.warn(`[evaluate] ${line}`) : log.info(`[evaluate] ${line}`),
      });
    },
  );
}
