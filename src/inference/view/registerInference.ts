import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { DatasetApi } from '../../dataset/view/registerDataset';
import type { RetrievalApi } from '../../retrieval/view/registerRetrieval';
import type { ExportCatalog } from '../../artifacts/exportCatalog';
import type { RunsFeature } from '../../runs/view/runsFeature';
import type { ExtensionServices } from '../../vscode/services';
import { PLAYGROUND_TEXT_SCHEME, PlaygroundTexts } from './answerTexts';
import { deleteExport, openExportManifest, revealExport, runExport } from './exportCommands';
import { LazyEngine, type InferenceContext } from './inferenceContext';
import { openOn, openPlayground } from './openPlayground';
import { playgroundDeps } from './playgroundDeps';
import { PlaygroundPanel } from './playgroundPanel';

/** What the playground panel and tests get back from activation. */
export interface InferenceApi {
  readonly exports: ExportCatalog;
  readonly playground: PlaygroundPanel;
}

/** Export to ONNX, the exports under their checkpoints, and the Playground. */
export function registerInference(
  services: ExtensionServices,
  runs: RunsFeature,
  dataset: DatasetApi,
  retrieval: RetrievalApi,
): InferenceApi {
  const { context: extension } = services;
  const output = vscode.window.createOutputChannel('MedQA ONNX Export');
  // The artefact index keeps the catalog of exports up to date; the Checkpoints view shows it (registerRuns).
  const exports = runs.artifacts.exports;
  const texts = new PlaygroundTexts();
  const engine = new LazyEngine(path.join(extension.extensionPath, 'out', 'inferenceWorker.js'));
  extension.subscriptions.push(
    output,
    texts,
    vscode.workspace.registerTextDocumentContentProvider(PLAYGROUND_TEXT_SCHEME, texts),
    engine,
  );

  const context: InferenceContext = { services, runs, exports, engine, output };
  const playground: PlaygroundPanel = new PlaygroundPanel(
    services,
    playgroundDeps(context, texts, dataset, retrieval, (target) => openOn(playground, target)),
  );
  extension.subscriptions.push(
    playground,
    exports.onDidChange(() => void playground.refreshExports()),
    // A built or deleted index turns "Ground in dataset" on or off in an open panel.
    retrieval.indexes.onDidChange(() => void (playground.isOpen && playground.pushState())),
  );

  services.registerCommand(Commands.inferenceExportOnnx, (arg?: unknown) => runExport(context, arg));
  services.registerCommand(Commands.inferenceOpenPlayground, (arg?: unknown) =>
    openPlayground(playground, runs.registry, arg),
  );
  services.registerCommand(Commands.inferenceRevealExport, (arg?: unknown) => revealExport(arg));
  services.registerCommand(Commands.inferenceOpenExportManifest, (arg?: unknown) => openExportManifest(arg));
  services.registerCommand(Commands.inferenceDeleteExport, (arg?: unknown) => deleteExport(context, arg));
  return { exports, playground };
}
