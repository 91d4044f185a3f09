import { PVSC_EXTENSION_ID, PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { ExtensionServices } from '../../vscode/services';
import { setting } from '../../vscode/settings';
import type { PythonLookup } from '../pythonEnvironment';

/** Inputs for Python discovery from the settings, the Python extension and the open folders. */
export async function pythonLookup(services: ExtensionServices): Promise<PythonLookup> {
  const configured = setting('pythonPath');
  return {
    configuredPath: configured || undefined,
    pythonExtensionPath: await pythonFromPythonExtension(),
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    extensionPath: services.context.extensionPath,
    managedVenvs: [managedVenvDir(services.context)],
  };
}

export function managedVenvDir(context: vscode.ExtensionContext): string {
  return path.join(context.globalStorageUri.fsPath, 'venv');
}

/** The interpreter selected in the Python extension, when that extension is installed (its published API). */
async function pythonFromPythonExtension(): Promise<string | undefined> {
  if (!vscode.extensions.getExtension(PVSC_EXTENSION_ID)) return undefined;
  try {
    const { environments } = await PythonExtension.api();
    const active = environments.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri);
    const resolved = await environments.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath ?? active.path;
  } catch {
    return undefined;
  }
}
