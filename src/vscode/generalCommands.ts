import * as vscode from 'vscode';
import { Commands } from '../commands';
import type { ExtensionServices } from './services';

/** Commands of the extension as a whole rather than of one feature: its log and its walkthrough. */
export function registerGeneralCommands(services: ExtensionServices): void {
  const { context, log } = services;
  services.registerCommand(Commands.showLog, () => log.show());
  services.registerCommand(Commands.openWalkthrough, () =>
    vscode.commands.executeCommand(
      'workbench.action.openWalkthrough',
      `${context.extension.id}#medqa.gettingStarted`,
      false,
    ),
  );
}
