import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { DatasetApi } from '../../dataset/view/registerDataset';
import { baseModelOf, checkpointOf, pickCheckpoint } from '../../evaluation/view/evaluationTargets';
import { preferredIndex } from '../../retrieval/indexes';
import type { RetrievalApi } from '../../retrieval/view/registerRetrieval';
import type { RunsFeature } from '../../runs/view/registerRuns';
import { needsFirst } from '../../util/prerequisite';
import type { ExtensionServices } from '../../vscode/services';
import { InferenceEngine } from '../engine';
import { MANIFEST_FILE, readExportSummary } from '../exportIndex';
import type { PlaygroundGenerator } from '../playgroundColumns';
import { PLAYGROUND_TEXT_SCHEME, PlaygroundTexts } from './answerTexts';
import { GROUNDING_CONTEXT_TOKENS, groundedPrompt } from '../grounding';
import { exportCheckpoint } from './exportOnnx';
import { OnnxExports, usableExports } from './onnxExports';
import { pickPair } from './pickPair';
import { PlaygroundPanel } from './playgroundPanel';

type Target = { checkpoint: string; runDir: string; model: string };

/** An export folder from a tree element, a Uri or a path. */
function exportDirOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return path.resolve(arg);
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (arg && typeof arg === 'object' && (arg as { kind?: unknown }).kind === 'onnxExport')
    return path.resolve((arg as { path: string }).path);
  return undefined;
}

/** What the playground panel and tests get back from activation. */
export interface InferenceApi {
  readonly exports: OnnxExports;
  readonly playground: PlaygroundPanel;
}

/** Export to ONNX, the exports under their checkpoints, and the Playground. */
export function registerInference(
  services: ExtensionServices,
  runs: RunsFeature,
  dataset: DatasetApi,
  retrieval: RetrievalApi,
): InferenceApi {
  const { context } = services;
  const output = vscode.window.createOutputChannel('MedQA ONNX Export');
  const exports = new OnnxExports(() => services.workspaceRoot());
  const texts = new PlaygroundTexts();
  let engine: InferenceEngine | undefined;
  context.subscriptions.push(
    output,
    exports,
    texts,
    vscode.workspace.registerTextDocumentContentProvider(PLAYGROUND_TEXT_SCHEME, texts),
    { dispose: () => void engine?.dispose() },
  );
  runs.checkpoints.setExports(exports);
  void exports.refresh();

  const runExport = async (arg: unknown) => {
    const result = await exportCheckpoint(services, runs.registry, exports, output, arg);
    // An export made again replaces files the worker may have loaded.
    if (result) await engine?.unload();
    return result;
  };

  const resolveExports = (target: Target) => usableExports(exports, target);

  const playground: PlaygroundPanel = new PlaygroundPanel(services, {
    resolveExports,
    engine: (): PlaygroundGenerator =>
      (engine ??= new InferenceEngine({
        workerScript: path.join(context.extensionPath, 'out', 'inferenceWorker.js'),
      })),
    texts,
    pickPair: () => pickPair(dataset.session),
    pickCheckpoint: async () => {
      const target = await pickCheckpoint(runs.registry, 'Open the playground with which checkpoint?');
      if (target) await openOn(target);
    },
    exportMissing: (target) =>
      runExport({ checkpointPath: target.checkpoint, runDir: target.runDir, baseModel: target.model }),
    groundingIndex: () => {
      const entry = preferredIndex(retrieval.indexes.entries);
      if (!entry?.manifest) return Promise.resolve(null);
      const stale = retrieval.indexes.freshness(entry.paths.name)?.state === 'stale';
      return Promise.resolve({ name: entry.paths.name, pairs: entry.manifest.pairs, stale });
    },
    ground: async (question, k, tokenizerDir) => {
      const found = await retrieval.searchClient();
      if (!found?.entry.manifest)
        throw needsFirst(
          'buildRetrievalIndex',
          'There is no retrieval index in this workspace to ground the answers in: build one first, or turn "Ground in dataset" off.',
        );
      const result = await found.client.search({
        query: question,
        k,
        rag: true,
        tokenizer: tokenizerDir,
        context_tokens: GROUNDING_CONTEXT_TOKENS,
      });
      return {
        ...groundedPrompt(result),
        index: found.entry.paths.name,
        dataHash: found.entry.manifest.data_hash,
      };
    },
    buildIndex: () => vscode.commands.executeCommand(Commands.retrievalBuildIndex, 'all'),
    openExternal: (url) => vscode.env.openExternal(vscode.Uri.parse(url, true)),
    afterSave: (dir, id) => {
      void vscode.window
        .showInformationMessage(
          `MedQA: saved for grading in ${path.relative(services.workspaceRoot() ?? '', dir) || dir}.`,
          'Grade Answers',
        )
        .then((choice) => {
          if (choice)
            void vscode.commands.executeCommand(Commands.gradingGradeAnswers, { evaluationDir: dir, id });
        });
    },
  });
  context.subscriptions.push(
    playground,
    exports.onDidChange(() => void playground.refreshExports()),
    // A built or deleted index turns "Ground in dataset" on or off in an open panel.
    retrieval.indexes.onDidChange(() => void (playground.isOpen && playground.pushState())),
  );

  const openOn = async (target: { checkpoint: string; runDir: string; model?: string }) => {
    const model = target.model ?? (await baseModelOf(target));
    if (!model)
      throw new Error(`No base model known for ${target.checkpoint}: its run names no model_name_or_path.`);
    return playground.showCheckpoint({ checkpoint: target.checkpoint, runDir: target.runDir, model });
  };

  services.registerCommand(Commands.inferenceExportOnnx, (arg?: unknown) => runExport(arg));

  services.registerCommand(Commands.inferenceOpenPlayground, async (arg?: unknown) => {
    if (arg && typeof arg === 'object' && (arg as { kind?: unknown }).kind === 'onnxExport') {
      const element = arg as { checkpointPath: string; runDir: string };
      return openOn({ checkpoint: element.checkpointPath, runDir: element.runDir });
    }
    const dir = exportDirOf(arg);
    if (dir && existsSync(path.join(dir, MANIFEST_FILE))) {
      const summary = await readExportSummary(dir);
      if ('problem' in summary) throw new Error(`${dir}: ${summary.problem}`);
      if (!summary.adapter)
        throw new Error(`${dir} is a base model's export: open the playground on a checkpoint.`);
      return openOn({
        checkpoint: summary.adapter,
        runDir: path.dirname(summary.adapter),
        model: summary.model,
      });
    }
    const given = checkpointOf(arg);
    if (given) return openOn({ checkpoint: given.checkpoint, runDir: given.runDir, model: given.model });
    if (playground.currentTarget) return playground.showCheckpoint(playground.currentTarget);
    const picked = await pickCheckpoint(runs.registry, 'Open the playground with which checkpoint?');
    return picked ? openOn(picked) : undefined;
  });

  services.registerCommand(Commands.inferenceRevealExport, async (arg?: unknown) => {
    const dir = exportDirOf(arg);
    if (!dir) return;
    const uri = vscode.Uri.file(dir);
    if (vscode.workspace.getWorkspaceFolder(uri))
      await vscode.commands.executeCommand('revealInExplorer', uri);
    else await vscode.commands.executeCommand('revealFileInOS', uri);
  });

  services.registerCommand(Commands.inferenceOpenExportManifest, async (arg?: unknown) => {
    const dir = exportDirOf(arg);
    if (!dir) return;
    await vscode.window.showTextDocument(vscode.Uri.file(path.join(dir, MANIFEST_FILE)), { preview: true });
  });

  services.registerCommand(Commands.inferenceDeleteExport, async (arg?: unknown) => {
    const dir = exportDirOf(arg);
    if (!dir) return false;
    const root = services.workspaceRoot();
    const inside = root && path.relative(path.join(root, '.medqa', 'onnx'), dir);
    if (!inside || inside.startsWith('..') || path.isAbsolute(inside))
      throw new Error(`${dir} is not an export in this workspace's .medqa/onnx/ folder; it was left alone.`);
    const sure =
      (arg as { confirmed?: unknown } | undefined)?.confirmed === true ||
      (await vscode.window.showWarningMessage(
        `Delete the ONNX export ${path.relative(root, dir)}? The checkpoint itself stays.`,
        { modal: true },
        'Delete',
      )) === 'Delete';
    if (!sure) return false;
    await engine?.unload(dir);
    await fs.rm(dir, { recursive: true, force: true });
    await exports.refresh();
    return true;
  });

  return { exports, playground };
}
