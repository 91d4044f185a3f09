/**
 * "Build Retrieval Index": writes the curated pairs (the export's pair source, with their document metadata) into
 * `.medqa/retrieval/<name>.pairs.jsonl` and runs `python -m medqa_trainer index build` over them through the one
 * process layer, with cancellable progress from the trainer's phase lines. Refused in an untrusted workspace.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetSession } from '../../dataset/view/session';
import { trainerEnv } from '../../trainer/pythonEnvironment';
import { runTrainerCommand, trainerMessage } from '../../trainer/process';
import type { ExtensionServices } from '../../vscode/services';
import { trainerPython, type TrainerNeeds } from '../../trainer/view/trainerPython';
import {
  buildArgs,
  indexName,
  indexPaths,
  retrievalLines,
  writeBuildRecord,
  writePairsFile,
  type IndexPaths,
  type IndexScope,
} from '../indexes';
import { pairsHash } from '../freshness';
import { needsFirst, needsFolder } from '../../util/prerequisite';

/** `index build` needs bm25s and PyStemmer; the doctor does not report them, so the trainer says when they lack. */
export const RETRIEVAL: TrainerNeeds = {
  action: 'build a retrieval index',
  packages: ['bm25s', 'PyStemmer'],
};

/** How long a cancelled build may take to stop before SIGKILL (it writes into a temp folder, so nothing is lost). */
const CANCEL_GRACE_MS = 3_000;

export interface BuildOptions {
  scope?: IndexScope;
}

export interface BuildResult {
  name: string;
  dir: string;
  pairs: number;
}

let running = false;

/** Asks for the scope (unless given) and builds; resolves undefined when dismissed or cancelled. */
export async function buildRetrievalIndex(
  services: ExtensionServices,
  session: DatasetSession,
  options: BuildOptions = {},
  onBuilt: (dir: string) => Promise<void>,
): Promise<BuildResult | undefined> {
  if (!services.requireTrust('Building a retrieval index')) return undefined;
  const root = services.workspaceRoot();
  if (!root) throw needsFolder('retrieval indexes are kept in its .medqa/retrieval/ folder');
  if (running) throw new Error('A retrieval index is already being built. Wait for it or cancel it.');
  await session.whenLoaded();
  if (session.pairs.length === 0)
    throw needsFirst('importDataset', 'Import a dataset first: the index is built from its pairs.');
  const scope = options.scope ?? (await pickScope(session, root));
  if (!scope) return undefined;
  const split = scope === 'train' ? session.split : undefined;
  const splitFile = scope === 'train' ? (await session.workspace()).lastSplit?.path : undefined;
  if (scope === 'train' && (!split || !splitFile))
    throw needsFirst('createSplit', 'An index of the training split needs a split: create one first.');

  const paths = indexPaths(root, indexName(scope, split));
  const lines = retrievalLines(session.curatedPairs(), split);
  if (lines.length === 0) throw new Error('No answered, included pairs to index.');
  const python = await trainerPython(services, RETRIEVAL);
  if (!python) return undefined;

  running = true;
  try {
    const built = await runIndexBuild(services, python, paths, lines, splitFile);
    if (!built) {
      void vscode.window.showInformationMessage(
        'MedQA: building the retrieval index was cancelled; the previous index (if any) is unchanged.',
      );
      return undefined;
    }
    await writeBuildRecord(paths, {
      scope,
      splitFile: splitFile ? path.relative(root, splitFile).split(path.sep).join('/') : null,
      splitHash: split?.splitHash ?? null,
      pairsHash: pairsHash(lines),
      pairs: lines.length,
      createdAt: new Date().toISOString(),
    });
  } finally {
    running = false;
    await onBuilt(paths.dir);
  }
  void vscode.window
    .showInformationMessage(
      `MedQA: retrieval index "${paths.name}" built from ${lines.length.toLocaleString('en-US')} pairs.` +
        (scope === 'all' ? ' Search QA Pairs… now ranks with it.' : ''),
      'Open Manifest',
    )
    .then((choice) => {
      if (choice) void vscode.window.showTextDocument(vscode.Uri.file(paths.manifest), { preview: true });
    });
  return { name: paths.name, dir: paths.dir, pairs: lines.length };
}

/**
 * Writes the pairs file and runs `index build` under a cancellable notification; resolves false when cancelled,
 * rejects with the trainer's message when the build failed.
 */
async function runIndexBuild(
  services: ExtensionServices,
  python: string,
  paths: IndexPaths,
  lines: string[],
  splitFile: string | undefined,
): Promise<boolean> {
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `MedQA: building the retrieval index "${paths.name}"`,
      cancellable: true,
    },
    async (progress, token) => {
      const abort = new AbortController();
      const subscription = token.onCancellationRequested(() => abort.abort());
      try {
        progress.report({ message: `writing ${lines.length.toLocaleString('en-US')} pairs…` });
        await writePairsFile(paths.pairsFile, lines);
        const args = buildArgs(paths, splitFile);
        services.log.info(`$ ${python} ${args.join(' ')}`);
        const exit = await runTrainerCommand({
          python,
          args,
          env: trainerEnv(services.context.extensionPath),
          graceMs: CANCEL_GRACE_MS,
          signal: abort.signal,
          onOutput: (line) => {
            services.log.info(`[index build] ${line}`);
            // The trainer's phase lines ("index: indexing 16,407 pairs") are the progress message.
            progress.report({ message: line.replace(/^index:\s*/, '') });
          },
        });
        if (exit.cancelled) return false;
        if (exit.code !== 0) {
          const why = trainerMessage(exit.stderrTail) ?? `exit code ${exit.code ?? exit.signal}`;
          throw new Error(`Building the retrieval index failed: ${why.replace(/^error:\s*/, '')}`);
        }
        return true;
      } finally {
        subscription.dispose();
      }
    },
  );
}

async function pickScope(session: DatasetSession, root: string): Promise<IndexScope | undefined> {
  const items: (vscode.QuickPickItem & { scope: IndexScope })[] = [
    {
      label: 'All curated pairs',
      description: 'search and the Playground',
      detail: 'Included, answered pairs with overlay edits applied; excluded pairs are left out.',
      scope: 'all',
    },
  ];
  const splitFile = session.split && (await session.workspace()).lastSplit?.path;
  if (splitFile)
    items.push({
      label: `Training split of ${path.relative(root, splitFile)}`,
      description: 'retrieval-augmented training and evaluation',
      detail: 'Only training pairs: validation and test pairs (and their duplicates) can never be retrieved.',
      scope: 'train',
    });
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Build Retrieval Index: which pairs?',
    ignoreFocusOut: true,
  });
  return picked?.scope;
}
