/** "Import Dataset…": choosing a source, importing it with cancellable progress, and reporting what was imported. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ImportResult } from '../model';
import {
  fmt,
  withCancellableProgress,
  workspaceRootOrThrow,
  type DatasetCommandContext,
} from './commandContext';
import type { DatasetPanel } from './datasetPanel';
import { findImportCandidates } from './importCandidates';
import type { DatasetSession } from './session';
import { countProblems } from '../readers/problemLog';

/**
 * Imports a source (a URI, a path relative to the workspace, or a choice) and reloads the dataset. A source that
 * gave nothing, or whose import was cancelled, is forgotten again and the earlier data stays.
 */
export async function importDataset(
  { services, session, panel }: DatasetCommandContext,
  arg?: unknown,
): Promise<{ source: string; pairs: number; problems: number; filesRead: number } | undefined> {
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
}

/** Workspace folders and files that look like datasets, then "Browse…" (a dialog); skips imported sources. */
export async function chooseSource(session: DatasetSession, root: string): Promise<string | undefined> {
  const imported = (await session.workspace()).sources();
  const candidates = await findImportCandidates(root, imported);
  const browse = {
    label: '$(folder-opened) Browse…',
    detail: 'Choose a MedQuAD folder, a collection folder, or a CSV/JSONL file',
  };
  let picked: (vscode.QuickPickItem & { source?: string }) | undefined = browse;
  if (candidates.length > 0) {
    picked = await vscode.window.showQuickPick(
      [
        ...candidates.map((c) => ({
          label: `${c.kind === 'file' ? '$(file)' : '$(folder)'} ${c.label === '.' ? path.basename(root) : c.label}`,
          description:
            c.kind === 'file'
              ? 'data file'
              : c.subFolders >= 2
                ? `${c.subFolders} folders with data`
                : `${fmt(c.dataFiles)} data files`,
          source: c.path,
        })),
        { label: '', kind: vscode.QuickPickItemKind.Separator },
        browse,
      ],
      { title: 'Import Dataset: folders in this workspace that look like datasets', ignoreFocusOut: true },
    );
  }
  if (!picked) return undefined;
  if (picked.source) return picked.source;
  const chosen = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: true,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(root),
    openLabel: 'Import',
    title: 'Import a MedQuAD folder, a collection folder, or a CSV/JSONL file',
    filters: { 'QA data': ['xml', 'csv', 'tsv', 'jsonl', 'ndjson'] },
  });
  return chosen?.[0]?.fsPath;
}

export function reportImport(result: ImportResult, panel: DatasetPanel): void {
  const answered = result.pairs.filter((pair) => pair.answer.trim() !== '').length;
  const problems = countProblems(result.problems);
  const text =
    `MedQA: imported ${fmt(result.pairs.length)} pairs (${fmt(answered)} answered) from ${fmt(result.filesRead)} files in ` +
    `${path.basename(result.root)}.` +
    (problems ? ` ${fmt(problems)} problem${problems === 1 ? '' : 's'}: see the import report.` : '');
  const actions = problems ? ['Show Import Report', 'Show Dataset Panel'] : ['Show Dataset Panel'];
  const show = problems ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void show(text, ...actions).then((choice) => {
    if (choice === 'Show Import Report') panel.showTab('report');
    else if (choice === 'Show Dataset Panel') panel.showTab('overview');
  });
}
