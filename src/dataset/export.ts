/**
 * Export per split as chat JSONL + manifest.json (contract #1 in notes/common.md, read by the trainer/evaluator):
 * `{"id", "messages": [system?, user, assistant], "qtype", "source", "focus"?, "cuis"?, "url"?, "collection", "split"}`
 * per line, overlay edits applied, excluded and unanswered pairs left out.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomicFile';
import { compareIds } from './hash';
import type { QaPair, SplitName } from './model';
import type { SplitFile } from './split';
import { splitNames } from './split';

export const EXPORT_FORMAT = 'medqa-chat-jsonl';
export const EXPORT_VERSION = 1;

export interface ExportManifest {
  format: typeof EXPORT_FORMAT;
  version: number;
  createdAt: string;
  seed: number;
  ratios: [number, number, number];
  counts: Record<SplitName, number> & { excluded: number; unanswered: number };
  files: Record<SplitName, string>;
  sourceHash: string;
  overlayHash: string;
  splitHash: string;
  systemPrompt: string | null;
}

export interface ExportOptions {
  systemPrompt?: string;
  now?: () => Date;
}

/** Pairs as exported: curated text and the overlay's exclusion. */
export type ExportInput = QaPair & { excluded?: unknown };

export interface ExportResult {
  manifest: ExportManifest;
  /** Answered, included pairs that the split file does not mention (imported after the split was made). */
  unassigned: string[];
  /** Split assignments whose pair no longer exists in the source. */
  missing: string[];
  /** The split was made from different source data or curation than what was exported. */
  staleSource: boolean;
  staleOverlay: boolean;
}

/**
 * One export line. Besides contract #1's fields it carries the pair's document metadata when the source has it
 * (`focus`, `cuis`, `url`, `collection`) and `split` when the caller knows it: the retrieval index ranks by them
 * (same focus or CUI and qtype from another collection) and cites the NIH page. Readers ignore fields they do not use.
 */
export function chatRecord(
  pair: QaPair,
  systemPrompt: string | undefined,
  extra: { split?: SplitName } = {},
): string {
  const messages = [
    ...(systemPrompt ? [{ role: 'system', content: systemPrompt }] : []),
    { role: 'user', content: pair.question },
    { role: 'assistant', content: pair.answer },
  ];
  const { focus, cuis, url, collection } = pair.document;
  return JSON.stringify({
    id: pair.id,
    messages,
    qtype: pair.qtype,
    source: pair.document.source,
    ...(focus?.trim() ? { focus } : {}),
    ...(cuis && cuis.length > 0 ? { cuis } : {}),
    ...(url?.trim() ? { url } : {}),
    collection,
    ...(extra.split ? { split: extra.split } : {}),
  });
}

export async function exportSplit(
  pairs: readonly ExportInput[],
  split: SplitFile,
  outDir: string,
  hashes: { sourceHash: string; overlayHash: string },
  options: ExportOptions = {},
): Promise<ExportResult> {
  const systemPrompt = options.systemPrompt?.trim() ? options.systemPrompt : undefined;
  const assigned = new Map(split.assignments.map((a) => [a.id, a.split]));
  const lines: Record<SplitName, string[]> = { train: [], validation: [], test: [] };
  let excluded = 0;
  let unanswered = 0;
  const unassigned: string[] = [];
  const present = new Set<string>();
  const sorted = [...pairs].sort((a, b) => compareIds(a.id, b.id));
  for (const pair of sorted) {
    present.add(pair.id);
    if (pair.excluded) {
      excluded++;
      continue;
    }
    if (pair.answer.trim() === '') {
      unanswered++;
      continue;
    }
    const target = assigned.get(pair.id);
    if (!target) {
      unassigned.push(pair.id);
      continue;
    }
    lines[target].push(chatRecord(pair, systemPrompt, { split: target }));
  }
  const missing = split.assignments.filter((a) => !present.has(a.id)).map((a) => a.id);

  const files = { train: 'train.jsonl', validation: 'validation.jsonl', test: 'test.jsonl' };
  // Re-exporting into a folder: its old manifest goes first, so a crash part-way never leaves a manifest that
  // vouches for files it did not describe (a folder with a manifest is a complete export).
  await fs.rm(path.join(outDir, 'manifest.json'), { force: true });
  for (const name of splitNames) {
    const body = lines[name].join('\n');
    await writeFileAtomic(path.join(outDir, files[name]), body ? body + '\n' : '');
  }
  const manifest: ExportManifest = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    createdAt: (options.now ?? (() => new Date()))().toISOString(),
    seed: split.seed,
    ratios: split.ratios,
    counts: {
      train: lines.train.length,
      validation: lines.validation.length,
      test: lines.test.length,
      excluded,
      unanswered,
    },
    files,
    sourceHash: hashes.sourceHash,
    overlayHash: hashes.overlayHash,
    splitHash: split.splitHash,
    systemPrompt: systemPrompt ?? null,
  };
  // The manifest goes last: a folder with a manifest is a complete export.
  await writeJsonAtomic(path.join(outDir, 'manifest.json'), manifest);
  return {
    manifest,
    unassigned,
    missing,
    staleSource: split.sourceHash !== hashes.sourceHash,
    staleOverlay: split.overlayHash !== hashes.overlayHash,
  };
}

/** Why a name cannot be an export folder under `.medqa/exports/` (undefined when it can). */
export function exportNameProblem(name: string): string | undefined {
  if (!/^[\w.-]+$/.test(name))
    return `"${name}" is not a valid export name: use letters, digits, ".", "_" and "-" only.`;
  // "." and ".." pass the character check but name the exports folder itself or its parent.
  if (/^\.+$/.test(name)) return `"${name}" is not a valid export name: it must contain a letter or digit.`;
  return undefined;
}

/** Refuses output locations inside a source folder: we never write into the user's data. */
export function assertOutsideSources(target: string, sources: readonly string[]): void {
  const resolved = path.resolve(target);
  for (const source of sources) {
    const root = path.resolve(source);
    const relative = path.relative(root, resolved);
    if (relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))) {
      throw new Error(`Refusing to write into the source dataset (${root}); choose an output outside it.`);
    }
  }
}
