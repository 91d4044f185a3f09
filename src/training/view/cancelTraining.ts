import * as path from 'node:path';
import * as vscode from 'vscode';
import { runDirOf } from '../../runs/view/runsFeature';
import type { TrainingContext } from './trainingContext';

/** "Cancel Training": the run given, the one running, or the user's pick of those running. */
export async function cancelTraining(
  { services, runs, sessions }: TrainingContext,
  arg: unknown,
): Promise<boolean> {
  // Cancelling signals a PID read from a run folder: not on a workspace's say-so alone.
  if (!services.requireTrust('Cancelling a training run')) return false;
  let runDir = runDirOf(arg);
  if (!runDir) {
    const running = runs.registry
      .list()
      .filter((run) => run.status === 'running' || run.status === 'pending');
    if (running.length === 0) {
      void vscode.window.showInformationMessage('MedQA: no training is running.');
      return false;
    }
    runDir =
      running.length === 1
        ? running[0].dir
        : (
            await vscode.window.showQuickPick(
              running.map((run) => ({ label: run.name, description: run.dir, dir: run.dir })),
              { placeHolder: 'Training to cancel' },
            )
          )?.dir;
  }
  if (!runDir) return false;
  const cancelled = await sessions.cancel(runDir);
  if (!cancelled)
    void vscode.window.showInformationMessage(`MedQA: ${path.basename(runDir)} has no running trainer.`);
  return cancelled;
}
