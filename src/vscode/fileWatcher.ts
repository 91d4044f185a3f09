import * as vscode from 'vscode';
import { Batcher } from '../util/batcher';

/** One file watcher on `glob` under `folder` whose create, change and delete events go into `batch`. */
export function watchInto(folder: string, glob: string, batch: Batcher<string>): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher(
    new vscode.RelativePattern(vscode.Uri.file(folder), glob),
  );
  const add = (uri: vscode.Uri) => batch.add(uri.fsPath);
  return vscode.Disposable.from(
    watcher,
    watcher.onDidCreate(add),
    watcher.onDidChange(add),
    watcher.onDidDelete(add),
  );
}

export interface DebounceOptions {
  /** How long events are gathered before `onBatch` runs. */
  delayMs: number;
  /** Every event restarts the wait (the batch comes when the burst is over); else the first event opens it. */
  restart?: boolean;
}

/** The one debounced file watcher: the files that changed under `folder` (matching `glob`) come in batches. */
export function watchDebounced(
  folder: string,
  glob: string,
  options: DebounceOptions,
  onBatch: (files: string[]) => void,
): vscode.Disposable {
  const batch = new Batcher(options.delayMs, onBatch, options.restart);
  return vscode.Disposable.from(watchInto(folder, glob, batch), batch);
}
