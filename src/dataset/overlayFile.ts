/**
 * The overlay file `<workspace>/.medqa/overlay.json` as text on disk: its format, reading and checking it (a file
 * that is not a valid overlay is refused, never overwritten), the body written back, and its content hash.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { readTextIfExists } from '../util/files';
import type { PairOverlay } from './model';
import { cleanEntry, type OverlayEntries } from './overlayMerge';

export const OVERLAY_FORMAT = 'medqa-overlay';
export const OVERLAY_VERSION = 1;

export interface OverlayFile {
  format: typeof OVERLAY_FORMAT;
  version: number;
  updatedAt: string;
  pairs: Record<string, PairOverlay>;
}

export function overlayPath(workspaceDir: string): string {
  return path.join(workspaceDir, '.medqa', 'overlay.json');
}

export class OverlayFormatError extends Error {}

/**
 * Reads and checks `.medqa/overlay.json` (empty when missing). A file that is not a valid overlay is never
 * overwritten: this throws OverlayFormatError naming the file, so the user can fix or move it (e.g. after a `git pull`
 * left conflict markers in it).
 */
export async function readOverlayFile(file: string): Promise<OverlayEntries> {
  const entries: OverlayEntries = new Map();
  const text = await readTextIfExists(file);
  if (text === undefined) return entries;
  let parsed: Partial<OverlayFile>;
  try {
    parsed = JSON.parse(text) as Partial<OverlayFile>;
  } catch (error) {
    throw new OverlayFormatError(
      `${file} is not valid JSON (${(error as Error).message}); fix or move it aside.`,
    );
  }
  if (
    parsed === null ||
    parsed.format !== OVERLAY_FORMAT ||
    typeof parsed.pairs !== 'object' ||
    parsed.pairs === null ||
    Array.isArray(parsed.pairs)
  ) {
    throw new OverlayFormatError(
      `${file} is not a MedQA overlay file (expected "format": "${OVERLAY_FORMAT}").`,
    );
  }
  if (typeof parsed.version !== 'number' || parsed.version > OVERLAY_VERSION) {
    throw new OverlayFormatError(
      `${file} has overlay version ${String(parsed.version)}, newer than this version of MedQA Studio understands (${OVERLAY_VERSION}).`,
    );
  }
  for (const [id, entry] of Object.entries(parsed.pairs as Record<string, unknown>)) {
    const problem = entryProblem(entry);
    if (problem)
      throw new OverlayFormatError(`${file}: pair "${id}" ${problem}; fix or move the file aside.`);
    const cleaned = cleanEntry(entry as Record<string, unknown>);
    if (cleaned) entries.set(id, cleaned);
  }
  return entries;
}

function entryProblem(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'is not an object';
  const fields = entry as Record<string, unknown>;
  for (const key of ['question', 'answer', 'note']) {
    if (fields[key] != null && typeof fields[key] !== 'string') return `has a "${key}" that is not text`;
  }
  for (const key of ['flag', 'excluded']) {
    const value = fields[key] as { reason?: unknown; at?: unknown } | null | undefined;
    if (value == null) continue;
    if (typeof value !== 'object' || typeof value.reason !== 'string' || typeof value.at !== 'string') {
      return `has a "${key}" without a text "reason" and "at"`;
    }
  }
  return undefined;
}

/** The file's body for `entries` (pairs sorted by id). */
export function overlayFileOf(entries: OverlayEntries, now: Date): OverlayFile {
  const pairs: Record<string, PairOverlay> = {};
  for (const id of [...entries.keys()].sort()) pairs[id] = entries.get(id)!;
  return { format: OVERLAY_FORMAT, version: OVERLAY_VERSION, updatedAt: now.toISOString(), pairs };
}

/** Content hash of the overlay (stable key order), recorded in split and export manifests. */
export function overlayHash(entries: OverlayEntries): string {
  const ids = [...entries.keys()].sort();
  const hash = createHash('sha256');
  for (const id of ids) hash.update(JSON.stringify([id, sortKeys(entries.get(id)!)]) + '\n');
  return hash.digest('hex');
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
