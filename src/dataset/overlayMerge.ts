/**
 * How overlay changes from several writers (two windows, a `git pull`) combine. The unit of merging is one field of
 * one pair: an operation names the fields it sets or clears, and only those are replayed onto the overlay as it is on
 * disk at the moment of writing, so an operation never writes back another writer's fields from a stale copy.
 * Two writers touching the same field: the later write (in lock order) wins, as it would for one writer.
 * Undo is a compare-and-set: a field goes back to its old value only while it still holds the value the undone
 * change wrote; a field that someone else changed since keeps the newer value.
 * Pure functions, no I/O: the store (overlay.ts) runs them under the file lock.
 */
import type { PairOverlay } from './model';

export type OverlayField = keyof PairOverlay;

export const OVERLAY_FIELDS: readonly OverlayField[] = ['question', 'answer', 'flag', 'excluded', 'note'];

/** Sets (value) or clears (null) fields; fields left out are not touched. */
export type OverlayPatch = {
  [K in OverlayField]?: PairOverlay[K] | null;
};

export type OverlayEntries = Map<string, PairOverlay>;

/** What one applied operation did to one pair. */
export interface AppliedPatch {
  before: PairOverlay | undefined;
  after: PairOverlay | undefined;
  /** The fields the operation named (what its undo restores). */
  fields: OverlayField[];
}

export function patchFields(patch: OverlayPatch): OverlayField[] {
  return OVERLAY_FIELDS.filter((field) => Object.prototype.hasOwnProperty.call(patch, field));
}

/** Drops unset fields; an entry with nothing left is no entry. Unknown keys (a newer writer's) are kept. */
export function cleanEntry(entry: Record<string, unknown>): PairOverlay | undefined {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (value !== undefined && value !== null) copy[key] = value;
  }
  return Object.keys(copy).length === 0 ? undefined : (copy as PairOverlay);
}

/** Replays one operation onto `entries` (mutated) and says what it changed. */
export function applyPatch(entries: OverlayEntries, id: string, patch: OverlayPatch): AppliedPatch {
  const before = entries.get(id);
  const fields = patchFields(patch);
  const merged: Record<string, unknown> = { ...before };
  for (const field of fields) merged[field] = patch[field];
  const after = cleanEntry(merged);
  setEntry(entries, id, after);
  return { before, after, fields };
}

/**
 * The patch that undoes `change` on the pair's current entry, and the fields left alone because they no longer hold
 * what the change wrote (another writer changed them since; their newer value wins).
 */
export function undoPatch(
  current: PairOverlay | undefined,
  change: AppliedPatch,
): { patch: OverlayPatch; skipped: OverlayField[] } {
  const patch: Record<string, unknown> = {};
  const skipped: OverlayField[] = [];
  for (const field of change.fields) {
    if (sameValue(change.before?.[field], change.after?.[field])) continue;
    if (sameValue(current?.[field], change.after?.[field])) patch[field] = change.before?.[field] ?? null;
    else skipped.push(field);
  }
  return { patch: patch as OverlayPatch, skipped };
}

export function setEntry(entries: OverlayEntries, id: string, entry: PairOverlay | undefined): void {
  if (entry) entries.set(id, entry);
  else entries.delete(id);
}

/** Ids whose entries differ between two states (what another writer changed). */
export function changedIds(
  previous: ReadonlyMap<string, PairOverlay>,
  next: ReadonlyMap<string, PairOverlay>,
): string[] {
  const ids = new Set([...previous.keys(), ...next.keys()]);
  return [...ids].filter((id) => !sameValue(previous.get(id), next.get(id))).sort();
}

/** Structural equality for JSON values (key order ignored), enough for overlay fields and entries. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left).filter((key) => left[key] !== undefined);
  const otherKeys = Object.keys(right).filter((key) => right[key] !== undefined);
  return keys.length === otherKeys.length && keys.every((key) => sameValue(left[key], right[key]));
}
