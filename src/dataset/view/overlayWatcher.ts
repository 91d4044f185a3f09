/**
 * Follows `.medqa/overlay.json` on disk, so curation done in another window, by the CLI or brought in by a `git pull`
 * shows up here without a reload. Our own writes trigger it too; the store then finds nothing changed and stays quiet.
 */
import * as vscode from 'vscode';
import { watchDebounced } from '../../vscode/fileWatcher';
import type { DatasetSession } from './session';

/** Bursts (a checkout rewriting the file, the temp file and rename of an atomic write) become one reload. */
const DEBOUNCE_MS = 300;

export function watchOverlayFile(session: DatasetSession, log: vscode.LogOutputChannel): vscode.Disposable {
  if (!session.workspaceDir) return new vscode.Disposable(() => undefined);
  let lastProblem: string | undefined;
  const reload = async () => {
    try {
      await session.reloadOverlay();
      lastProblem = undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.warn(`Reloading the overlay failed: ${message}`);
      // Once per problem: a broken file (e.g. merge conflict markers) is saved many times while it is being fixed.
      if (message !== lastProblem) {
        void vscode.window.showWarningMessage(
          `MedQA: .medqa/overlay.json changed on disk but cannot be read, so curation is shown as it was and new ` +
            `changes are refused until it is fixed. ${message}`,
        );
      }
      lastProblem = message;
    }
  };
  return watchDebounced(
    session.workspaceDir,
    '.medqa/overlay.json',
    { delayMs: DEBOUNCE_MS, restart: true },
    () => {
      void reload();
    },
  );
}
