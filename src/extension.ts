import * as vscode from 'vscode';
import { createServices, type CommandError } from './vscode/services';
import { registerEnvironmentCommands } from './trainer/view/environmentCommands';
import { registerGeneralCommands } from './vscode/generalCommands';
import { registerRuns } from './runs/view/registerRuns';
import { registerRunComparison } from './runComparison/view/runComparisonPanel';
import { registerTraining } from './training/view/registerTraining';
import { registerEvaluation } from './evaluation/view/registerEvaluation';
import { registerDataset, type DatasetApi } from './dataset/view/registerDataset';
import { registerGrading, type GradingApi } from './grading/view/registerGrading';
import { registerInference, type InferenceApi } from './inference/view/registerInference';
import { openOnFirstStart } from './vscode/openOnStart';
import { registerRetrieval, type RetrievalApi } from './retrieval/view/registerRetrieval';

/** What `activate` returns; integration tests read it through `extension.exports`. */
export interface MedqaApi {
  readonly activationMs: number;
  /** The dataset session, QA Pairs tree and reveal (for tests and other features). */
  readonly dataset: DatasetApi;
  /** Error messages that commands showed the user, newest last (the last 20). */
  readonly commandErrors: readonly CommandError[];
  /** The grade store, the Grading panel and summaries (for tests). */
  readonly grading: GradingApi;
  /** ONNX exports and the Playground (for tests). */
  readonly inference: InferenceApi;
  /** Retrieval indexes and the search server (for tests and the features that ground answers). */
  readonly retrieval: RetrievalApi;
}

export function activate(context: vscode.ExtensionContext): MedqaApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('MedQA Studio', { log: true });
  context.subscriptions.push(log);
  const services = createServices(context, log);

  registerGeneralCommands(services);
  registerEnvironmentCommands(services);
  const runs = registerRuns(services);
  registerRunComparison(services, runs.artifacts, (runDir) => runs.openDashboard(runDir));
  registerTraining(services, runs);
  const grading = registerGrading(services, runs.artifacts);
  registerEvaluation(services, grading, runs.artifacts);
  const dataset = registerDataset(services);
  const retrieval = registerRetrieval(services, dataset);
  const inference = registerInference(services, runs, dataset, retrieval);

  const activationMs = performance.now() - started;
  log.info(`MedQA Studio activated in ${activationMs.toFixed(1)} ms`);
  // A shipped sample folder (demo/) opens on its run and the walkthrough the first time; other folders: nothing.
  openOnFirstStart(services).catch((error: unknown) => log.warn(`open-on-start: ${String(error)}`));
  return { activationMs, dataset, commandErrors: services.commandErrors, grading, inference, retrieval };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
