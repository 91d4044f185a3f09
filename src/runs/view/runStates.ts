import * as vscode from 'vscode';
import { isTrainerAlive } from '../liveness';
import type { RunInfo, RunRegistry } from '../registry';

/** Runs whose trainer another program started are re-checked this often: a SIGKILL leaves no file event behind. */
const EXTERNAL_LIVENESS_MS = 5000;

/**
 * Context keys (walkthrough step completion, menus) follow the registry: `medqa.hasRun`, `medqa.trainingActive`.
 * Runs another program is training are re-checked every few seconds until their trainer is gone.
 */
export function followRunStates(
  context: vscode.ExtensionContext,
  registry: RunRegistry,
  active: ReadonlySet<string>,
): void {
  let hadRun: boolean | undefined;
  let hadRunning: boolean | undefined;
  let livenessTimer: NodeJS.Timeout | undefined;
  const scheduleLivenessCheck = (runs: readonly RunInfo[]): void => {
    const external = runs.filter((r) => r.status === 'running' && !active.has(r.dir));
    if (external.length === 0 || livenessTimer) return;
    livenessTimer = setTimeout(async () => {
      livenessTimer = undefined;
      for (const run of external) {
        if (run.pid === undefined || !(await isTrainerAlive(run.pid))) await registry.refreshRun(run.dir);
      }
      scheduleLivenessCheck(registry.list());
    }, EXTERNAL_LIVENESS_MS);
  };
  context.subscriptions.push(
    registry.onDidChange(() => {
      const runs = registry.list();
      const hasRun = runs.length > 0;
      // A queued Slurm run can be cancelled too.
      const hasRunning = runs.some((r) => r.status === 'running' || r.status === 'pending');
      if (hasRun !== hadRun)
        void vscode.commands.executeCommand('setContext', 'medqa.hasRun', (hadRun = hasRun));
      if (hasRunning !== hadRunning) {
        void vscode.commands.executeCommand('setContext', 'medqa.trainingActive', (hadRunning = hasRunning));
      }
      scheduleLivenessCheck(runs);
    }),
    { dispose: () => livenessTimer && clearTimeout(livenessTimer) },
  );
}
