import * as path from 'node:path';
import * as vscode from 'vscode';

/** Where a command finds its folder in an object argument: a field (`{ runDir }`), perhaps only on one tree kind. */
export interface FolderField {
  field: string;
  /** Only an element whose `kind` is this (a tree element) carries the folder. */
  kind?: string;
  /** Resolve the path against the working folder (the runs' keys are used as given). */
  resolve?: boolean;
}

/**
 * The folder a command was invoked on, from what menus, the palette, tests and webviews pass: a path, a Uri, or an
 * object (tree element or options) with the folder in `where.field`; undefined when none was given.
 */
export function folderOfArgument(arg: unknown, where: FolderField): string | undefined {
  const finish = (folder: string): string => (where.resolve === false ? folder : path.resolve(folder));
  if (typeof arg === 'string') return finish(arg);
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (!arg || typeof arg !== 'object') return undefined;
  const record = arg as Record<string, unknown>;
  if (where.kind !== undefined && record.kind !== where.kind) return undefined;
  const folder = record[where.field];
  return typeof folder === 'string' ? finish(folder) : undefined;
}
