/**
 * The overlay: the user's curation (edited question/answer text, flags, exclusions, notes) kept in
 * `<workspace>/.medqa/overlay.json`, apart from the read-only source. Several writers share the file (two windows on
 * one folder, the CLI, a `git pull`), so no change is written from the in-memory copy: each one takes the file lock,
 * re-reads the file, replays just its own fields onto it (overlayMerge.ts) and writes it atomically. Changes can be
 * undone (in-memory stack of this store's own changes, last first) and are announced to listeners so views refresh.
 */
import { writeJsonAtomic } from '../util/atomicFile';
import { FileLockedError, withFileLock, type FileLockOptions } from '../util/fileLock';
import type { PairOverlay, QaPair } from './model';
import {
  applyPatch,
  changedIds,
  sameValue,
  undoPatch,
  type OverlayEntries,
  type OverlayField,
  type OverlayPatch,
} from './overlayMerge';
import { overlayFileOf, overlayHash, overlayPath, readOverlayFile } from './overlayFile';

export type { OverlayField, OverlayPatch } from './overlayMerge';

export interface OverlayChange {
  id: string;
  /** Short description for UI, e.g. "Edit answer" or "Undo exclude". */
  label: string;
  /** The pair's entry on disk right before and right after the change (other writers' fields included). */
  before: PairOverlay | undefined;
  after: PairOverlay | undefined;
  /** The fields the change set or cleared: the only ones it wrote, and the only ones its undo restores. */
  fields: OverlayField[];
  /** Undo only: fields left as they were because another writer changed them after the undone change. */
  skipped?: OverlayField[];
}

/** A pair with the overlay applied: what exports, splits and views use. */
export interface CuratedPair extends QaPair {
  originalQuestion: string;
  originalAnswer: string;
  edited: boolean;
  flagged?: { reason: string; at: string };
  excluded?: { reason: string; at: string };
  note?: string;
}

export function applyOverlay(pair: QaPair, entry: PairOverlay | undefined): CuratedPair {
  const curated: CuratedPair = {
    ...pair,
    originalQuestion: pair.question,
    originalAnswer: pair.answer,
    edited: false,
  };
  if (!entry) return curated;
  if (entry.question !== undefined && entry.question !== pair.question) {
    curated.question = entry.question;
    curated.edited = true;
  }
  if (entry.answer !== undefined && entry.answer !== pair.answer) {
    curated.answer = entry.answer;
    curated.edited = true;
  }
  if (entry.flag) curated.flagged = entry.flag;
  if (entry.excluded) curated.excluded = entry.excluded;
  if (entry.note) curated.note = entry.note;
  return curated;
}

/** The file lock could not be taken: the change was not applied (nor shown), and can simply be tried again. */
export class OverlayLockError extends Error {}

export interface OverlayStoreOptions {
  now?: () => Date;
  undoLimit?: number;
  /** Lock timing (tests shorten it). */
  lock?: FileLockOptions;
}

export class OverlayStore {
  private entries: OverlayEntries;
  private readonly undoStack: OverlayChange[] = [];
  private readonly listeners = new Set<(change: OverlayChange) => void>();
  private readonly externalListeners = new Set<(ids: readonly string[]) => void>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    entries: OverlayEntries,
    private readonly now: () => Date,
    private readonly undoLimit: number,
    private readonly lockOptions: FileLockOptions,
  ) {
    this.entries = entries;
  }

  /** Loads `<workspaceDir>/.medqa/overlay.json` (empty when missing); throws OverlayFormatError for a file it must not overwrite. */
  static async load(workspaceDir: string, options: OverlayStoreOptions = {}): Promise<OverlayStore> {
    const file = overlayPath(workspaceDir);
    return new OverlayStore(
      file,
      await readOverlayFile(file),
      options.now ?? (() => new Date()),
      options.undoLimit ?? 200,
      options.lock ?? {},
    );
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: string): PairOverlay | undefined {
    return this.entries.get(id);
  }

  /** The overlay as last read or written (it includes other writers' changes up to then). */
  all(): ReadonlyMap<string, PairOverlay> {
    return this.entries;
  }

  apply(pair: QaPair): CuratedPair {
    return applyOverlay(pair, this.entries.get(pair.id));
  }

  /** Listen to this store's own changes (including undo). Returns a disposer. */
  onDidChange(listener: (change: OverlayChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Listen to changes found on disk that this store did not make (another window, a `git pull`), by pair id. */
  onDidChangeExternally(listener: (ids: readonly string[]) => void): { dispose(): void } {
    this.externalListeners.add(listener);
    return { dispose: () => this.externalListeners.delete(listener) };
  }

  /**
   * Sets (value) or clears (null) fields of one pair's overlay on the file as it is now, and records the change for
   * undo. Rejects with OverlayLockError when the file stays locked, OverlayFormatError when it became unreadable;
   * either way nothing was changed.
   */
  update(id: string, patch: OverlayPatch, label: string): Promise<OverlayChange> {
    return this.serial(async () => {
      const change = await this.commit(label, (entries) => ({
        id,
        label,
        ...applyPatch(entries, id, patch),
      }));
      this.undoStack.push(change);
      if (this.undoStack.length > this.undoLimit) this.undoStack.shift();
      this.emit(change);
      return change;
    });
  }

  editQuestion(pair: QaPair, text: string): Promise<OverlayChange> {
    return this.update(pair.id, { question: text === pair.question ? null : text }, 'Edit question');
  }

  editAnswer(pair: QaPair, text: string): Promise<OverlayChange> {
    return this.update(pair.id, { answer: text === pair.answer ? null : text }, 'Edit answer');
  }

  /** Flag with a reason, or clear the flag with `undefined`. */
  setFlag(id: string, reason: string | undefined): Promise<OverlayChange> {
    const flag = reason === undefined ? null : { reason, at: this.now().toISOString() };
    return this.update(id, { flag }, reason === undefined ? 'Unflag' : 'Flag');
  }

  setExcluded(id: string, reason: string | undefined): Promise<OverlayChange> {
    const excluded = reason === undefined ? null : { reason, at: this.now().toISOString() };
    return this.update(id, { excluded }, reason === undefined ? 'Include' : 'Exclude');
  }

  setNote(id: string, note: string | undefined): Promise<OverlayChange> {
    return this.update(id, { note: note ? note : null }, note ? 'Edit note' : 'Remove note');
  }

  /** Drops every edit, flag, exclusion and note of one pair (as they are on disk when it runs). */
  revert(id: string): Promise<OverlayChange> {
    return this.update(
      id,
      { question: null, answer: null, flag: null, excluded: null, note: null },
      'Revert',
    );
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  /** Label of the change that `undo()` would revert. */
  get undoLabel(): string | undefined {
    return this.undoStack[this.undoStack.length - 1]?.label;
  }

  /**
   * Reverts this store's most recent change, field by field, on the file as it is now; a field that another writer
   * changed since keeps their value (listed in `skipped`). Undefined when there is nothing to undo. A failed undo
   * stays on the stack.
   */
  undo(): Promise<OverlayChange | undefined> {
    return this.serial(async () => {
      const last = this.undoStack[this.undoStack.length - 1];
      if (!last) return undefined;
      let label = `Undo ${last.label.toLowerCase()}`;
      const change = await this.commit(label, (entries) => {
        const { patch, skipped } = undoPatch(entries.get(last.id), last);
        if (skipped.length) label += ` (kept the newer ${skipped.join(' and ')} from another window)`;
        return { id: last.id, label, ...applyPatch(entries, last.id, patch), skipped };
      });
      this.undoStack.pop();
      this.emit(change);
      return change;
    });
  }

  /** Re-reads the file (after it changed on disk) and announces the pairs that differ. Returns their ids. */
  reload(): Promise<string[]> {
    return this.serial(async () => {
      const entries = await readOverlayFile(this.file);
      const ids = changedIds(this.entries, entries);
      this.entries = entries;
      this.emitExternal(ids);
      return ids;
    });
  }

  /** Content hash of the overlay (stable key order), recorded in split and export manifests. */
  hash(): string {
    return overlayHash(this.entries);
  }

  /** Resolves once every change so far is on disk (or has failed). */
  async flush(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  /** One change at a time within this store: each sees the previous one's result. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.catch(() => undefined).then(task);
    this.queue = next;
    return next;
  }

  /**
   * The one write path: under the file lock, re-read the file, let `operate` replay one operation onto it, write it
   * back atomically (skipped when nothing changed), and adopt the result as the in-memory state.
   */
  private async commit(
    label: string,
    operate: (entries: OverlayEntries) => OverlayChange,
  ): Promise<OverlayChange> {
    let onDisk: OverlayEntries | undefined;
    let entries: OverlayEntries | undefined;
    let change: OverlayChange | undefined;
    try {
      await withFileLock(
        this.file,
        async (assertHeld) => {
          onDisk = await readOverlayFile(this.file);
          entries = new Map(onDisk);
          change = operate(entries);
          if (sameValue(change.before, change.after)) return;
          assertHeld();
          await writeJsonAtomic(this.file, overlayFileOf(entries, this.now()));
        },
        this.lockOptions,
      );
    } catch (error) {
      if (error instanceof FileLockedError) {
        throw new OverlayLockError(`${label} was not saved: ${error.message}`, { cause: error });
      }
      throw error;
    }
    const external = changedIds(this.entries, onDisk!);
    this.entries = entries!;
    this.emitExternal(external);
    return change!;
  }

  private emit(change: OverlayChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private emitExternal(ids: readonly string[]): void {
    if (ids.length === 0) return;
    for (const listener of this.externalListeners) listener(ids);
  }
}
