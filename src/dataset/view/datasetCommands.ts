/**
 * Dataset-level commands: import (workspace suggestions or a dialog), refresh, remove a source, find duplicates,
 * create a split and export for training, and what the QA Pairs view shows (grouping, search, the panel). Each
 * long step lives in its own module; this file wires them. Everything is written under `<workspace>/.medqa/`.
 */
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import { withCancellableProgress, type DatasetCommandContext } from './commandContext';
import { findDuplicates } from './duplicatesCommand';
import { exportForTraining, type ExportCommandOptions } from './exportCommand';
import { importDataset } from './importFlow';
import { createSplit, type SplitCommandOptions } from './splitCommand';
import { groupBy, groupBySplit, searchPairs } from './viewCommands';

async function reloadDataset({ session }: DatasetCommandContext): Promise<void> {
  await withCancellableProgress('Reloading the dataset…', async (_progress, signal) =>
    session.load({ signal }),
  );
}

/** Forgets a source (given, or picked); its files and its curation in the overlay are kept. */
async function removeSource({ session }: DatasetCommandContext, arg?: unknown): Promise<void> {
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
}

export function registerDatasetCommands(context: DatasetCommandContext): void {
  const { services, panel } = context;
  services.registerCommand(Commands.datasetImport, (arg?: unknown) => importDataset(context, arg));
  services.registerCommand(Commands.datasetRefresh, () => reloadDataset(context));
  services.registerCommand(Commands.datasetRemoveSource, (arg?: unknown) => removeSource(context, arg));
  services.registerCommand(Commands.datasetFindDuplicates, () => findDuplicates(context));
  services.registerCommand(Commands.datasetSplit, (options?: SplitCommandOptions) =>
    createSplit(context, options),
  );
  services.registerCommand(Commands.datasetExport, (options?: ExportCommandOptions) =>
    exportForTraining(context, options),
  );
  services.registerCommand(Commands.datasetGroupByCollection, () => groupBy(context, 'collection'));
  services.registerCommand(Commands.datasetGroupByQtype, () => groupBy(context, 'qtype'));
  services.registerCommand(Commands.datasetGroupBySplit, () => groupBySplit(context));
  services.registerCommand(Commands.datasetShowPanel, () => void panel.showTab('overview'));
  services.registerCommand(Commands.datasetShowImportReport, () => void panel.showTab('report'));
  services.registerCommand(Commands.datasetSearch, (initial?: unknown) => searchPairs(context, initial));
}
