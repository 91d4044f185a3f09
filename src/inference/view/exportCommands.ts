import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MANIFEST_FILE } from '../exportIndex';
import { exportCheckpoint, type ExportResult } from './exportCheckpoint';
import type { InferenceContext } from './inferenceContext';
import { folderOfArgument } from '../../vscode/menuArgument';

/** An export folder from a tree element, a Uri or a path. */
export function exportDirOf(arg: unknown): string | undefined {
  return folderOfArgument(arg, { field: 'path', kind: 'onnxExport' });
}

/** "Export Checkpoint to ONNX", then the engine lets go of what it loaded: an export made again replaces files. */
export async function runExport(
  { services, runs, exports, engine, output }: InferenceContext,
  arg: unknown,
): Promise<ExportResult | undefined> {
  const result = await exportCheckpoint(services, runs.registry, exports, output, arg);
  if (result) await engine.unload();
  return result;
}

/** Shows an export folder in the Explorer when it is in the workspace, else in the system's file manager. */
export async function revealExport(arg: unknown): Promise<void> {
  const dir = exportDirOf(arg);
  if (!dir) return;
  const uri = vscode.Uri.file(dir);
  if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
  else await vscode.commands.executeCommand('revealFileInOS', uri);
}

export async function openExportManifest(arg: unknown): Promise<void> {
  const dir = exportDirOf(arg);
  if (!dir) return;
  await vscode.window.showTextDocument(vscode.Uri.file(path.join(dir, MANIFEST_FILE)), { preview: true });
}

/** Deletes an export of this workspace's `.medqa/onnx/` after asking (or when told `confirmed`); the checkpoint stays. */
export async function deleteExport(
  { services, exports, engine }: InferenceContext,
  arg: unknown,
): Promise<boolean> {
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
  await engine.unload(dir);
  await fs.rm(dir, { recursive: true, force: true });
  await exports.refresh();
  return true;
}
