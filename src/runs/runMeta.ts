import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../util/atomicFile';

/**
 * What the user says about a run (Rename / Tag). For our runs it lives in its own file beside the trainer's,
 * `<run>/.medqa-run.json`, which the trainer never reads or writes; imported (read-only) runs keep it in the
 * workspace state instead, so nothing is ever written into their folder.
 */
export const RUN_META_FILE = '.medqa-run.json';
const FORMAT = 'medqa-run-meta';

export interface RunMeta {
  /** Shown instead of the folder name. */
  displayName?: string;
  tags: string[];
}

export const MAX_NAME_LENGTH = 80;
export const MAX_TAG_LENGTH = 32;
const TAG = /^[\p{L}\p{N}][\p{L}\p{N}._+:/-]*$/u;

export function isEmptyMeta(meta: RunMeta | undefined): boolean {
  return !meta || (!meta.displayName && meta.tags.length === 0);
}

/** Checks a value read from disk or the workspace state; anything malformed reads as no metadata. */
export function parseRunMeta(value: unknown): RunMeta | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const displayName =
    typeof record.displayName === 'string' && !nameProblem(record.displayName)
      ? record.displayName.trim()
      : undefined;
  const tags = Array.isArray(record.tags)
    ? [...new Set(record.tags.filter((t): t is string => typeof t === 'string' && !tagProblem(t)))]
    : [];
  return { ...(displayName ? { displayName } : {}), tags };
}

/** Why `text` cannot be a run's display name (empty is allowed: it resets the name). */
export function nameProblem(text: string): string | undefined {
  const name = text.trim();
  if (name.length > MAX_NAME_LENGTH) return `Use at most ${MAX_NAME_LENGTH} characters.`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'Control characters are not allowed.';
  return undefined;
}

function tagProblem(tag: string): string | undefined {
  if (tag.length > MAX_TAG_LENGTH) return `"${tag}" is longer than ${MAX_TAG_LENGTH} characters.`;
  if (!TAG.test(tag))
    return `"${tag}" is not a tag: start with a letter or digit; then letters, digits, . _ + : / -`;
  return undefined;
}

/** "baseline, lr-2e-4 #cpu" → ["baseline", "lr-2e-4", "cpu"]: commas or spaces separate, a leading # is dropped. */
export function parseTags(text: string): { tags: string[]; problem?: string } {
  const tags: string[] = [];
  for (const raw of text.split(/[\s,]+/)) {
    const tag = raw.replace(/^#/, '');
    if (!tag) continue;
    const problem = tagProblem(tag);
    if (problem) return { tags: [], problem };
    if (!tags.includes(tag)) tags.push(tag);
  }
  return { tags };
}

export async function readRunMetaFile(runDir: string): Promise<RunMeta | undefined> {
  try {
    return parseRunMeta(JSON.parse(await fs.readFile(path.join(runDir, RUN_META_FILE), 'utf8')));
  } catch {
    return undefined;
  }
}

/** Writes (atomically) or, when the metadata is empty, removes `<run>/.medqa-run.json`. */
export async function writeRunMetaFile(runDir: string, meta: RunMeta): Promise<void> {
  const file = path.join(runDir, RUN_META_FILE);
  if (isEmptyMeta(meta)) {
    await fs.rm(file, { force: true });
    return;
  }
  await writeJsonAtomic(file, { format: FORMAT, version: 1, ...meta });
}

/** "#a #b" for descriptions. */
export function tagText(tags: readonly string[] | undefined): string {
  return (tags ?? []).map((t) => `#${t}`).join(' ');
}
