import * as vscode from 'vscode';
import { failureText } from '../../trainer/process';
import { ensureTrainingIndex } from '../../evaluation/retrievalSide';
import type { ExtensionServices } from '../../vscode/services';
import { trainerEnv } from '../../trainer/pythonEnvironment';

/**
 * The index a grounded ("Ground in retrieved sources") run trains with: the one over its export's training split,
 * `.medqa/retrieval/auto-<hash of train.jsonl>/`, the same folder Evaluate Checkpoint uses for that export, so the
 * run and its RAG evaluation retrieve from the same index. Built here (seconds) when missing; undefined when the
 * user cancels. Throws the trainer's own message when the build fails.
 */
export async function trainingSplitIndex(
  services: ExtensionServices,
  python: string,
  trainFile: string,
): Promise<string | undefined> {
  const root = services.workspaceRoot();
  if (!root)
    throw new Error('Open a workspace folder: the retrieval index is kept in its .medqa/retrieval/.');
  const { index, exit } = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: 'MedQA: indexing the training split for retrieval',
      cancellable: true,
    },
    (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return ensureTrainingIndex({
        python,
        env: trainerEnv(services.context.extensionPath),
        workspaceRoot: root,
        trainFile,
        signal: abort.signal,
        onOutput: (line) => {
          services.log.info(`[index] ${line}`);
          progress.report({ message: line.slice(0, 120) });
        },
      });
    },
  );
  if (!exit) return index;
  if (exit.cancelled) return undefined;
  if (exit.code !== 0) throw new Error(`Building the retrieval index failed: ${failureText(exit)}`);
  services.log.info(`Built the training-split retrieval index ${index}`);
  return index;
}
