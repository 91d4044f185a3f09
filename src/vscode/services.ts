import * as vscode from 'vscode';
import type { CommandId } from '../commands';
import { PrerequisiteError } from '../util/prerequisite';

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
  /** The button that does the missing step, for a "do X first" message. */
  action?: string;
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
            const remedy = error instanceof PrerequisiteError ? error : undefined;
            commandErrors.push({ command: id, message: `MedQA: ${message}`, action: remedy?.remedy.label });
            if (commandErrors.length > KEPT_COMMAND_ERRORS) commandErrors.shift();
            if (remedy) {
              // A missing step, not a failure: offer the button that does it.
              log.info(`${id}: ${message}`);
              void vscode.window
                .showWarningMessage(`MedQA: ${message}`, remedy.remedy.label)
                .then((choice) => {
                  if (choice) void vscode.commands.executeCommand(remedy.remedy.command, ...remedy.args);
                });
              return undefined;
            }
            log.error(`${id} failed: ${error instanceof Error && error.stack ? error.stack : message}`);
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
