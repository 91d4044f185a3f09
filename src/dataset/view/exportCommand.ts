/**
 * "Export for Training…": writes the split's curated pairs as chat JSONL under `.medqa/exports/<name>/` (a split is
 * made first when there is none), asking for the folder name and before replacing an export.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import { setting } from '../../vscode/settings';
import { assertOutsideSources, exportNameProblem, exportSplit, type ExportResult } from '../export';
import type { SplitFile } from '../split';
import { fmt, workspaceRootOrThrow, type DatasetCommandContext } from './commandContext';

export interface ExportCommandOptions {
  /** Folder name under `.medqa/exports/` (default: `split-<seed>-<date>`). */
  name?: string;
  systemPrompt?: string;
  /** Replace an existing export of that name without asking. */
  overwrite?: boolean;
}

/** The session's split, made first (when the user agrees) if there is none yet. */
async function splitOrAsk({ session }: DatasetCommandContext): Promise<SplitFile | undefined> {
  if (session.split) return session.split;
  const choice = await vscode.window.showWarningMessage(
    'MedQA: export needs a split first.',
    'Create Split…',
  );
  if (choice) await vscode.commands.executeCommand(Commands.datasetSplit);
  return session.split;
}

/** The export folder's name: given, or typed (the default offered); undefined when dismissed. */
async function exportName(split: SplitFile, options?: ExportCommandOptions): Promise<string | undefined> {
  if (options?.name) return options.name;
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const typed = await vscode.window.showInputBox({
    title: 'Export for Training: folder name under .medqa/exports/',
    value: options?.name ?? `split-${split.seed}-${stamp}`,
    ignoreFocusOut: true,
    validateInput: (text) => exportNameProblem(text.trim()),
  });
  return typed?.trim();
}

async function mayWrite(outDir: string, name: string, options?: ExportCommandOptions): Promise<boolean> {
  if (options?.overwrite || !(await exists(path.join(outDir, 'manifest.json')))) return true;
  const choice = await vscode.window.showWarningMessage(
    `MedQA: .medqa/exports/${name} exists. Replace it?`,
    { modal: true },
    'Replace',
  );
  return choice === 'Replace';
}

function reportExport(result: ExportResult, outDir: string, name: string): void {
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
}

/** Resolves with the export folder, or undefined when dismissed. */
export async function exportForTraining(
  context: DatasetCommandContext,
  options?: ExportCommandOptions,
): Promise<string | undefined> {
  const { services, session } = context;
  const root = workspaceRootOrThrow(services);
  await session.whenLoaded();
  const split = await splitOrAsk(context);
  if (!split) return undefined;
  const name = await exportName(split, options);
  if (name === undefined) return undefined;
  const nameProblem = exportNameProblem(name);
  if (nameProblem) throw new Error(nameProblem);
  const outDir = path.join(root, '.medqa', 'exports', name);
  assertOutsideSources(
    outDir,
    session.sources.map((s) => s.root),
  );
  if (!(await mayWrite(outDir, name, options))) return undefined;
  const systemPrompt = options?.systemPrompt ?? setting('systemPrompt');
  const result = await exportSplit(session.curatedPairs(), split, outDir, session.hashes(), { systemPrompt });
  await (await session.workspace()).setLastExport(outDir);
  reportExport(result, outDir, name);
  return outDir;
}

async function exists(file: string): Promise<boolean> {
  return vscode.workspace.fs.stat(vscode.Uri.file(file)).then(
    () => true,
    () => false,
  );
}
