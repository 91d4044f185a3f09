import * as vscode from 'vscode';
import type { CommandId } from '../commands';

/** What every feature's `register*` function receives: shared services, nothing feature-specific. */
export interface ExtensionServices {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  /** Registers a command and reports any error it throws as a notification plus a log entry. */
  registerCommand(id: CommandId, handler: (...args: never[]) => unknown): void;
  /** The most recent command failures as the user saw them (newest last; for tests and diagnostics). */
  readonly commandErrors: readonly CommandError[];
  /** The first workspace folder's path, or undefined when no folder is open. */
  workspaceRoot(): string | undefined;
  /** Refuses (with a message) when the workspace is untrusted; returns whether the caller may go on. */
  requireTrust(action: string): boolean;
}

export interface CommandError {
  command: CommandId;
  message: string;
}

const KEPT_COMMAND_ERRORS = 20;

export function createServices(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
): ExtensionServices {
  const commandErrors: CommandError[] = [];
  return {
    context,
    log,
    commandErrors,
    registerCommand(id, handler) {
      context.subscriptions.push(
        vscode.commands.registerCommand(id, async (...args: unknown[]) => {
          try {
            return await (handler as (...a: unknown[]) => unknown)(...args);
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            log.error(`${id} failed: ${error instanceof Error && error.stack ? error.stack : message}`);
            commandErrors.push({ command: id, message: `MedQA: ${message}` });
            if (commandErrors.length > KEPT_COMMAND_ERRORS) commandErrors.shift();
            void vscode.window.showErrorMessage(`MedQA: ${message}`, 'Show Log').then((choice) => {
              if (choice) log.show();
            });
            return undefined;
          }
        }),
      );
    },
    workspaceRoot() {
      return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    },
    requireTrust(action) {
      if (vscode.workspace.isTrusted) return true;
      void vscode.window
        .showWarningMessage(
          `MedQA: ${action} runs code and is disabled in an untrusted workspace. Trust this folder to enable it.`,
          'Manage Workspace Trust',
        )
        .then((choice) => {
          if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
        });
      return false;
    },
  };
}
