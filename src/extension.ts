import * as vscode from 'vscode';
import { createServices } from './vscode/services';
import { registerEnvironmentCommands } from './vscode/environmentCommands';
import { registerRuns } from './runs/view/registerRuns';
import { registerTraining } from './training/view/registerTraining';
import { registerEvaluation } from './evaluation/view/registerEvaluation';

/** What `activate` returns; integration tests read it through `extension.exports`. */
export interface MedqaApi {
  readonly activationMs: number;
}

export function activate(context: vscode.ExtensionContext): MedqaApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('MedQA Studio', { log: true });
  context.subscriptions.push(log);
  const services = createServices(context, log);

  registerEnvironmentCommands(services);
  registerTraining(services, registerRuns(services));
  registerEvaluation(services);

  const activationMs = performance.now() - started;
  log.info(`MedQA Studio activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
