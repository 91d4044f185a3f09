import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'medqa-studio.medqa-studio';

/** Activates MedQA Studio in this extension host and returns it; fails clearly when it is not loaded. */
export async function activateMedqa(): Promise<vscode.Extension<unknown>> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not loaded`);
  await extension.activate();
  return extension;
}

/** The tiny random Qwen3 the harness builds (`MEDQA_TEST_TINY_MODEL`). */
export function tinyModelDir(): string {
  const tiny = process.env.MEDQA_TEST_TINY_MODEL;
  assert.ok(
    tiny && existsSync(path.join(tiny, 'config.json')),
    'MEDQA_TEST_TINY_MODEL must name the tiny model folder (./studio setup builds it)',
  );
  return tiny;
}

/** The workspace folder the harness opened (a temp copy of demo/). */
export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(folder, 'a workspace folder must be open');
  return folder;
}
