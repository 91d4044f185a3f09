/** The interactive parts of "Import Dataset…": choosing a source and reporting what was imported. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ImportResult } from '../model';
import type { DatasetPanel } from './datasetPanel';
import { findImportCandidates } from './importCandidates';
import type { DatasetSession } from './session';
import { countProblems } from '../readers/problemLog';

const fmt = (n: number) => n.toLocaleString('en-US');

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
