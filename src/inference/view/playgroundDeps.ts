import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { DatasetApi } from '../../dataset/view/registerDataset';
import { pickCheckpoint, type CheckpointTarget } from '../../evaluation/view/evaluationTargets';
import { preferredIndex } from '../../retrieval/indexes';
import type { RetrievalApi } from '../../retrieval/view/registerRetrieval';
import { needsFirst } from '../../util/prerequisite';
import type { ExtensionServices } from '../../vscode/services';
import { GROUNDING_CONTEXT_TOKENS, groundedPrompt, type Ground } from '../grounding';
import type { PlaygroundTexts } from './answerTexts';
import type { InferenceContext } from './inferenceContext';
import { runExport } from './exportCommands';
import { usableExports } from './onnxExports';
import { pickPair } from './pickPair';
import type { PlaygroundDeps } from './playgroundPanel';

/** "Ground in dataset": the sources the workspace's search server retrieves for a question, cut to the budget. */
function groundIn(retrieval: RetrievalApi): Ground {
  return async (question, k, tokenizerDir) => {
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
  };
}

/** After "Save for grading": where it went, and a button that grades it. */
function announceSaved(services: ExtensionServices, dir: string, id: string): void {
  void vscode.window
    .showInformationMessage(
      `MedQA: saved for grading in ${path.relative(services.workspaceRoot() ?? '', dir) || dir}.`,
      'Grade Answers',
    )
    .then((choice) => {
      if (choice)
        void vscode.commands.executeCommand(Commands.gradingGradeAnswers, { evaluationDir: dir, id });
    });
}

/** What the Playground needs from the other features: exports, the engine, pairs, the retrieval index. */
export function playgroundDeps(
  context: InferenceContext,
  texts: PlaygroundTexts,
  dataset: DatasetApi,
  retrieval: RetrievalApi,
  open: (target: CheckpointTarget) => Promise<unknown>,
): PlaygroundDeps {
  const { services, runs, exports, engine } = context;
  return {
    resolveExports: (target) => usableExports(exports, target),
    engine: () => engine.get(),
    texts,
    pickPair: () => pickPair(dataset.session),
    pickCheckpoint: async () => {
      const target = await pickCheckpoint(runs.registry, 'Open the playground with which checkpoint?');
      if (target) await open(target);
    },
    exportMissing: (target) =>
      runExport(context, {
        checkpointPath: target.checkpoint,
        runDir: target.runDir,
        baseModel: target.model,
        // The precision the panel is on (its int4 export is the one missing, say); fp32 when none was picked.
        quantize: target.precision ?? 'none',
      }),
    groundingIndex: () => {
      const entry = preferredIndex(retrieval.indexes.entries);
      if (!entry?.manifest) return Promise.resolve(null);
      const stale = retrieval.indexes.freshness(entry.paths.name)?.state === 'stale';
      return Promise.resolve({ name: entry.paths.name, pairs: entry.manifest.pairs, stale });
    },
    ground: groundIn(retrieval),
    buildIndex: () => vscode.commands.executeCommand(Commands.retrievalBuildIndex, 'all'),
    openExternal: (url) => vscode.env.openExternal(vscode.Uri.parse(url, true)),
    afterSave: (dir, id) => announceSaved(services, dir, id),
  };
}
