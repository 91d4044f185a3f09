/**
 * "Create Split…": asks for the seed and ratios (unless given), splits the curated pairs in a worker thread and
 * writes `.medqa/splits/split-<seed>.json`.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import { setting } from '../../vscode/settings';
import { needsFirst } from '../../util/prerequisite';
import { parseRatios, writeSplit, type SplitFile } from '../split';
import {
  fmt,
  withCancellableProgress,
  workspaceRootOrThrow,
  type DatasetCommandContext,
} from './commandContext';
import { parseSplitInput } from './splitInput';
import { runInWorker } from './workerClient';
import { splitRequest } from './workerTasks';

export interface SplitCommandOptions {
  seed?: number;
  ratios?: [number, number, number];
}

/** The seed and ratios typed into the input box (defaults from the settings); undefined when dismissed. */
async function askSeedAndRatios(
  seed: number,
): Promise<{ seed: number; ratios: [number, number, number] } | undefined> {
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
  return answer === undefined ? undefined : parseSplitInput(answer);
}

function reportSplit(seed: number, split: SplitFile): void {
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
}

/** Resolves with the split file written, or undefined when dismissed or cancelled. */
export async function createSplit(
  { services, session }: DatasetCommandContext,
  options?: SplitCommandOptions,
): Promise<string | undefined> {
  const root = workspaceRootOrThrow(services);
  await session.whenLoaded();
  if (session.pairs.length === 0)
    throw needsFirst('importDataset', 'Import a dataset first: a split divides its pairs.');
  const defaults = {
    seed: options?.seed ?? setting('split.seed'),
    ratios: options?.ratios ?? parseRatios(setting('split.ratios')),
  };
  const chosen = options ? defaults : await askSeedAndRatios(defaults.seed);
  if (!chosen) return undefined;
  const { seed, ratios } = chosen;
  const curated = session.curatedPairs();
  const threshold = setting('dedupe.threshold');
  const file = path.join(root, '.medqa', 'splits', `split-${seed}.json`);
  const split = await withCancellableProgress(
    `Splitting ${fmt(curated.length)} pairs (seed ${seed})…`,
    async (_p, signal) => {
      const made: SplitFile = await runInWorker(
        services.context.extensionPath,
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
  reportSplit(seed, split);
  return file;
}
