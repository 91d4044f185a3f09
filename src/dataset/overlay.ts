/**
 * The overlay: the user's curation (edited question/answer text, flags, exclusions, notes) kept in
 * `<workspace>/.medqa/overlay.json`, apart from the read-only source. Every change is written atomically, can be undone
 * (in-memory stack, last change first) and announced to listeners so views refresh.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { writeJsonAtomic } from '../util/atomicFile';
import { readTextIfExists } from '../util/files';
import type { PairOverlay, QaPair } from './model';

export const OVERLAY_FORMAT = 'medqa-overlay';
export const OVERLAY_VERSION = 1;

interface OverlayFile {
  format: typeof OVERLAY_FORMAT;
  version: number;
  updatedAt: string;
  pairs: Record<string, PairOverlay>;
}

export interface OverlayChange {
  id: string;
  /** Short description for UI, e.g. "Edit answer" or "Undo exclude". */
  label: string;
  before: PairOverlay | undefined;
  after: PairOverlay | undefined;
}

export type OverlayPatch = {
  [K in keyof PairOverlay]?: PairOverlay[K] | null;
};

/** A pair with the overlay applied: what exports, splits and views use. */
export interface CuratedPair extends QaPair {
  originalQuestion: string;
  originalAnswer: string;
  edited: boolean;
  flagged?: { reason: string; at: string };
  excluded?: { reason: string; at: string };
  note?: string;
}

export function overlayPath(workspaceDir: string): string {
  return path.join(workspaceDir, '.medqa', 'overlay.json');
}

function isEmpty(entry: PairOverlay): boolean {
  return Object.values(entry).every((value) => value === undefined);
}

function clean(entry: PairOverlay): PairOverlay | undefined {
  const copy: PairOverlay = {};
  for (const [key, value] of Object.entries(entry) as [keyof PairOverlay, unknown][]) {
    if (value !== undefined && value !== null) (copy as Record<string, unknown>)[key] = value;
  }
  return isEmpty(copy) ? undefined : copy;
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

export class OverlayFormatError extends Error {}

export class OverlayStore {
  private readonly entries: Map<string, PairOverlay>;
  private readonly undoStack: OverlayChange[] = [];
  private readonly listeners = new Set<(change: OverlayChange) => void>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    entries: Record<string, PairOverlay>,
    private readonly now: () => Date,
    private readonly undoLimit: number,
  ) {
    this.entries = new Map(Object.entries(entries));
  }

  /**
   * Loads `<workspaceDir>/.medqa/overlay.json` (empty when missing). A file that is not a valid overlay is never
   * overwritten: loading throws OverlayFormatError naming the file, so the user can fix or move it.
   */
  static async load(
    workspaceDir: string,
    options: { now?: () => Date; undoLimit?: number } = {},
  ): Promise<OverlayStore> {
    const file = overlayPath(workspaceDir);
    let entries: Record<string, PairOverlay> = {};
    const text = await readTextIfExists(file);
    if (text !== undefined) {
      let parsed: Partial<OverlayFile>;
      try {
        parsed = JSON.parse(text) as Partial<OverlayFile>;
      } catch (error) {
        throw new OverlayFormatError(
          `${file} is not valid JSON (${(error as Error).message}); fix or move it aside.`,
        );
      }
      if (parsed.format !== OVERLAY_FORMAT || typeof parsed.pairs !== 'object' || parsed.pairs === null) {
        throw new OverlayFormatError(
          `${file} is not a MedQA overlay file (expected "format": "${OVERLAY_FORMAT}").`,
        );
      }
      if (typeof parsed.version !== 'number' || parsed.version > OVERLAY_VERSION) {
        throw new OverlayFormatError(
          `${file} has overlay version ${String(parsed.version)}, newer than this version of MedQA Studio understands (${OVERLAY_VERSION}).`,
        );
      }
      entries = parsed.pairs;
    }
    return new OverlayStore(file, entries, options.now ?? (() => new Date()), options.undoLimit ?? 200);
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: string): PairOverlay | undefined {
    return this.entries.get(id);
  }

  all(): ReadonlyMap<string, PairOverlay> {
    return this.entries;
  }

  apply(pair: QaPair): CuratedPair {
    return applyOverlay(pair, this.entries.get(pair.id));
  }

  /** Listen to every change (including undo). Returns a disposer. */
  onDidChange(listener: (change: OverlayChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Sets (value) or clears (null) fields of one pair's overlay, saves, and records the change for undo. */
  async update(id: string, patch: OverlayPatch, label: string): Promise<OverlayChange> {
    const before = this.entries.get(id);
    const after = clean({ ...before, ...(patch as PairOverlay) });
    const change: OverlayChange = { id, label, before, after };
    this.set(id, after);
    this.undoStack.push(change);
    if (this.undoStack.length > this.undoLimit) this.undoStack.shift();
    await this.persist(change);
    return change;
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

  /** Drops every edit, flag, exclusion and note of one pair. */
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

  /** Reverts the most recent change (saved like any other); undefined when there is nothing to undo. */
  async undo(): Promise<OverlayChange | undefined> {
    const last = this.undoStack.pop();
    if (!last) return undefined;
    const change: OverlayChange = {
      id: last.id,
      label: `Undo ${last.label.toLowerCase()}`,
      before: last.after,
      after: last.before,
    };
    this.set(last.id, last.before);
    await this.persist(change);
    return change;
  }

  /** Content hash of the overlay (stable key order), recorded in split and export manifests. */
  hash(): string {
    const ids = [...this.entries.keys()].sort();
    const hash = createHash('sha256');
    for (const id of ids) hash.update(JSON.stringify([id, sortKeys(this.entries.get(id)!)]) + '\n');
    return hash.digest('hex');
  }

  /** Resolves once every change so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private set(id: string, entry: PairOverlay | undefined): void {
    if (entry) this.entries.set(id, entry);
    else this.entries.delete(id);
  }

  private async persist(change: OverlayChange): Promise<void> {
    // Serialise writes so a slow earlier save can never overwrite a later one.
    const write = this.writing.then(() => writeJsonAtomic(this.file, this.toFile()));
    this.writing = write.catch(() => undefined);
    await write;
    for (const listener of this.listeners) listener(change);
  }

  private toFile(): OverlayFile {
    const pairs: Record<string, PairOverlay> = {};
    for (const id of [...this.entries.keys()].sort()) pairs[id] = this.entries.get(id)!;
    return { format: OVERLAY_FORMAT, version: OVERLAY_VERSION, updatedAt: this.now().toISOString(), pairs };
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
