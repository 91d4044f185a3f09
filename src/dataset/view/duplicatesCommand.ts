/** "Find Duplicates": the dedupe of the curated pairs in a worker thread, kept in the session and shown in the panel. */
import * as vscode from 'vscode';
import { setting } from '../../vscode/settings';
import { needsFirst } from '../../util/prerequisite';
import { fmt, withCancellableProgress, type DatasetCommandContext } from './commandContext';
import type { DuplicateScan } from './session';
import { runInWorker } from './workerClient';
import { dedupeRequest } from './workerTasks';

const plural = (n: number, word: string) => `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;

export async function findDuplicates({
  services,
  session,
  panel,
}: DatasetCommandContext): Promise<DuplicateScan | undefined> {
  await session.whenLoaded();
  if (session.pairs.length === 0) throw needsFirst('importDataset', 'Import a dataset first.');
  const threshold = setting('dedupe.threshold');
  const curated = session.curatedPairs();
  const scan = await withCancellableProgress(
    `Finding duplicates among ${fmt(curated.length)} pairs…`,
    async (_p, signal) => {
      const report = await runInWorker(
        services.context.extensionPath,
        dedupeRequest(curated, threshold),
        signal,
      );
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
}
