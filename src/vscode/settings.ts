import * as path from 'node:path';
import * as vscode from 'vscode';
import { coerceSetting, SETTING_DEFAULTS, type MedqaSettings, type SettingKey } from '../settings/schema';

/** The typed value of a `medqa.*` setting (its package.json default when unset or of the wrong type). */
export function setting<K extends SettingKey>(key: K, scope?: vscode.Uri): MedqaSettings[K] {
  return coerceSetting(key, vscode.workspace.getConfiguration('medqa', scope).get<unknown>(key));
}

export async function updateSetting<K extends SettingKey>(
  key: K,
  value: MedqaSettings[K] | undefined,
  target: vscode.ConfigurationTarget,
): Promise<void> {
  await vscode.workspace.getConfiguration('medqa').update(key, value, target);
}

/** Where runs live: `medqa.runsDirectory`, relative to the workspace folder unless absolute. */
export function runsDirectory(workspaceRoot: string | undefined): string | undefined {
  const configured = setting('runsDirectory') || SETTING_DEFAULTS.runsDirectory;
  if (path.isAbsolute(configured)) return configured;
  return workspaceRoot ? path.join(workspaceRoot, configured) : undefined;
}
