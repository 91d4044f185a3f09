/**
 * Dataset-level commands: import (workspace suggestions or a dialog), refresh, remove a source, find duplicates,
 * create a split and export for training. Long steps show cancellable progress; cancelling aborts the core (import)
 * or ends the worker thread (duplicates, split). Everything is written under `<workspace>/.medqa/`.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { ExtensionServices } from '../../vscode/services';
import { assertOutsideSources, exportNameProblem, exportSplit } from '../export';
import { parseRatios, writeSplit, type SplitFile } from '../split';
import { parseSplitInput } from './splitInput';
import type { DatasetPanel } from './datasetPanel';
import { chooseSource, reportImport } from './importFlow';
import type { DatasetSession, DuplicateScan } from './session';
import { CancelledError, runInWorker } from './workerClient';
import { dedupeRequest, splitRequest } from './workerTasks';
import { setting } from '../../vscode/settings';
import { needsFirst, needsFolder } from '../../util/prerequisite';
import { countProblems } from '../readers/problemLog';

const fmt = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, word: string) => `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;

export interface ExportCommandOptions {
  /** Folder name under `.medqa/exports/` (default: `split-<seed>-<date>`). */
  name?: string;
  systemPrompt?: string;
  /** Replace an existing export of that name without asking. */
  overwrite?: boolean;
}

/** Runs `task` with a cancellable notification; resolves undefined when the user cancelled. */
async function withCancellableProgress<T>(
  title: string,
  task: (
    progress: vscode.Progress<{ message?: string; increment?: number }>,
    signal: AbortSignal,
  ) => Promise<T>,
): Promise<T | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `MedQA: ${title}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const subscription = token.onCancellationRequested(() => abort.abort());
      try {
        return await task(progress, abort.signal);
      } catch (error) {
        if (abort.signal.aborted || error instanceof CancelledError) {
          void vscode.window.showInformationMessage(`MedQA: ${title.replace(/…$/, '')}: cancelled.`);
          return undefined;
        }
        throw error;
      } finally {
        subscription.dispose();
      }
    },
  );
}

function workspaceRootOrThrow(services: ExtensionServices): string {
  const root = services.workspaceRoot();
  if (!root) throw needsFolder();
  return root;
}

export function registerDatasetCommands(
  services: ExtensionServices,
  session: DatasetSession,
  panel: DatasetPanel,
): void {
  const { context } = services;

  services.registerCommand(Commands.datasetImport, async (arg?: unknown) => {
    const root = workspaceRootOrThrow(services);
    const source =
      arg instanceof vscode.Uri
        ? arg.fsPath
        : typeof arg === 'string'
          ? path.resolve(root, arg)
          : await chooseSource(session, root);
    if (!source) return undefined;
    const medqaDir = path.join(root, '.medqa');
    if (source === medqaDir || source.startsWith(medqaDir + path.sep)) {
      throw new Error("That is MedQA Studio's own .medqa folder, not a dataset.");
    }
    const workspace = await session.workspace();
    session.pickedSources.add(path.resolve(source));
    const wasListed = workspace.sources().includes(path.resolve(source));
    await workspace.addSource(source);
    const loaded = await withCancellableProgress(
      `Importing ${path.basename(source)}`,
      async (progress, signal) => {
        await session.load({
          signal,
          onProgress: (p) =>
            progress.report({
              message: `${fmt(p.filesDone)} / ${fmt(p.filesTotal)} files, ${fmt(p.pairs)} pairs`,
            }),
        });
        return true;
      },
    ).catch(async (error: unknown) => {
      if (!wasListed) await workspace.removeSource(source);
      throw error;
    });
    const result = session.sources.find((s) => s.root === path.resolve(source));
    if (!loaded || !result || result.pairs.length === 0) {
      // Cancelled, or nothing importable: forget the source again and keep the earlier data.
      if (!wasListed) await workspace.removeSource(source);
      if (loaded) {
        const why = result?.problems[0]?.message ?? 'no QA pairs were found';
        void vscode.window.showErrorMessage(`MedQA: nothing imported from ${source}: ${why}.`);
      }
      await session.load().catch(() => undefined);
      return undefined;
    }
    reportImport(result, panel);
    return {
      source: result.root,
      pairs: result.pairs.length,
      problems: countProblems(result.problems),
      filesRead: result.filesRead,
    };
  });

  services.registerCommand(Commands.datasetRefresh, async () => {
    await withCancellableProgress('Reloading the dataset…', async (_progress, signal) =>
      session.load({ signal }),
    );
  });

  services.registerCommand(Commands.datasetRemoveSource, async (arg?: unknown) => {
    const workspace = await session.workspace();
    const sources = workspace.sources();
    if (sources.length === 0)
      return void vscode.window.showInformationMessage('MedQA: no dataset sources to remove.');
    const source =
      typeof arg === 'string'
        ? arg
        : (
            await vscode.window.showQuickPick(
              sources.map((s) => ({ label: vscode.workspace.asRelativePath(s), source: s })),
              {
                title:
                  'Remove a dataset source (its files are not touched; curation in .medqa/overlay.json is kept)',
              },
            )
          )?.source;
    if (!source) return;
    await workspace.removeSource(source);
    await session.load();
  });

  services.registerCommand(Commands.datasetFindDuplicates, async () => {
    await session.whenLoaded();
    if (session.pairs.length === 0) throw needsFirst('importDataset', 'Import a dataset first.');
    const threshold = setting('dedupe.threshold');
    const curated = session.curatedPairs();
    const scan = await withCancellableProgress(
      `Finding duplicates among ${fmt(curated.length)} pairs…`,
      async (_p, signal) => {
        const report = await runInWorker(context.extensionPath, dedupeRequest(curated, threshold), signal);
        const result: DuplicateScan = {
          format: 'medqa-duplicates',
          version: 1,
          createdAt: new Date().toISOString(),
          threshold,
          questions: report.questions.groups,
          answers: report.answers.groups,
        };
        await session.setDuplicates(result);
        return result;
      },
    );
    if (!scan) return undefined;
    const pairsIn = (groups: DuplicateScan['questions']) =>
      fmt(groups.reduce((sum, g) => sum + g.ids.length, 0));
    void vscode.window
      .showInformationMessage(
        `MedQA: ${plural(scan.questions.length, 'group')} of duplicate questions (${pairsIn(scan.questions)} pairs) and ` +
          `${fmt(scan.answers.length)} of duplicate answers (${pairsIn(scan.answers)} pairs), similarity ≥ ${threshold}.`,
        'Show Duplicates',
      )
      .then((choice) => choice && panel.showTab('duplicates'));
    return scan;
  });

  services.registerCommand(
    Commands.datasetSplit,
    async (options?: { seed?: number; ratios?: [number, number, number] }) => {
      const root = workspaceRootOrThrow(services);
      await session.whenLoaded();
      if (session.pairs.length === 0)
        throw needsFirst('importDataset', 'Import a dataset first: a split divides its pairs.');
      let seed = options?.seed ?? setting('split.seed');
      let ratios = options?.ratios ?? parseRatios(setting('split.ratios'));
      if (!options) {
        const answer = await vscode.window.showInputBox({
          title: 'Create Split: seed and train, validation, test ratios',
          prompt:
            'Qtype-stratified; duplicate questions stay in one split. Defaults come from the settings medqa.split.seed and medqa.split.ratios.',
          value: `seed ${seed}, ratios ${setting('split.ratios')}`,
          ignoreFocusOut: true,
          validateInput: (text) => {
            try {
              parseSplitInput(text);
              return undefined;
            } catch (error) {
              return (error as Error).message;
            }
          },
        });
        if (answer === undefined) return undefined;
        ({ seed, ratios } = parseSplitInput(answer));
      }
      const curated = session.curatedPairs();
      const threshold = setting('dedupe.threshold');
      const file = path.join(root, '.medqa', 'splits', `split-${seed}.json`);
      const split = await withCancellableProgress(
        `Splitting ${fmt(curated.length)} pairs (seed ${seed})…`,
        async (_p, signal) => {
          const made: SplitFile = await runInWorker(
            context.extensionPath,
            splitRequest(curated, session.hashes(), { seed, ratios, threshold }),
            signal,
          );
          await writeSplit(file, made);
          await session.setSplit(file, made);
          return made;
        },
      );
      if (!split) return undefined;
      await vscode.commands.executeCommand('setContext', 'medqa.hasSplit', true);
      const c = split.counts;
      void vscode.window
        .showInformationMessage(
          `MedQA: split-${seed}: train ${fmt(c.train)}, validation ${fmt(c.validation)}, test ${fmt(c.test)} ` +
            `(${fmt(split.groups)} duplicate groups kept together; ${fmt(c.excluded)} excluded, ${fmt(c.unanswered)} unanswered left out).`,
          'Export for Training…',
          'Group by Split',
        )
        .then((choice) => {
          if (choice === 'Export for Training…') void vscode.commands.executeCommand(Commands.datasetExport);
          if (choice === 'Group by Split') void vscode.commands.executeCommand(Commands.datasetGroupBySplit);
        });
      return file;
    },
  );

  services.registerCommand(Commands.datasetExport, async (options?: ExportCommandOptions) => {
    const root = workspaceRootOrThrow(services);
    await session.whenLoaded();
    if (!session.split) {
      const choice = await vscode.window.showWarningMessage(
        'MedQA: export needs a split first.',
        'Create Split…',
      );
      if (choice) await vscode.commands.executeCommand(Commands.datasetSplit);
      if (!session.split) return undefined;
    }
    const split = session.split;
    const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
    let name = options?.name ?? `split-${split.seed}-${stamp}`;
    if (!options?.name) {
      const typed = await vscode.window.showInputBox({
        title: 'Export for Training: folder name under .medqa/exports/',
        value: name,
        ignoreFocusOut: true,
        validateInput: (text) => exportNameProblem(text.trim()),
      });
      if (typed === undefined) return undefined;
      name = typed.trim();
    }
    const nameProblem = exportNameProblem(name);
    if (nameProblem) throw new Error(nameProblem);
    const outDir = path.join(root, '.medqa', 'exports', name);
    assertOutsideSources(
      outDir,
      session.sources.map((s) => s.root),
    );
    if (!options?.overwrite && (await exists(path.join(outDir, 'manifest.json')))) {
      const choice = await vscode.window.showWarningMessage(
        `MedQA: .medqa/exports/${name} exists. Replace it?`,
        { modal: true },
        'Replace',
      );
      if (choice !== 'Replace') return undefined;
    }
    const systemPrompt = options?.systemPrompt ?? setting('systemPrompt');
    const result = await exportSplit(session.curatedPairs(), split, outDir, session.hashes(), {
      systemPrompt,
    });
    await (await session.workspace()).setLastExport(outDir);
    const c = result.manifest.counts;
    const warnings = [
      result.unassigned.length &&
        `${fmt(result.unassigned.length)} answered pairs are not in the split (imported after it; create a new split to include them)`,
      result.missing.length && `${fmt(result.missing.length)} split entries no longer exist in the source`,
      result.staleSource && 'the source data changed since the split was made',
    ].filter(Boolean);
    const text = `MedQA: exported train ${fmt(c.train)}, validation ${fmt(c.validation)}, test ${fmt(c.test)} to .medqa/exports/${name}.`;
    const show = warnings.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(warnings.length ? `${text} Note: ${warnings.join('; ')}.` : text, 'Open Manifest').then(
      (choice) => {
        if (choice) void vscode.window.showTextDocument(vscode.Uri.file(path.join(outDir, 'manifest.json')));
      },
    );
    return outDir;
  });
}

async function exists(file: string): Promise<boolean> {
  return vscode.workspace.fs.stat(vscode.Uri.file(file)).then(
    () => true,
    () => false,
  );
}
