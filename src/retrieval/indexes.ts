/**
 * Retrieval indexes in a workspace (no vscode import). Layout under `.medqa/retrieval/`:
 * - `<name>/`: the index folder `index build` writes atomically (its `manifest.json` names pairs, data hash, size);
 * - `<name>.pairs.jsonl`: the pairs it was built from, as the export writes them (overlay edits applied, excluded and
 *   unanswered pairs left out) with their document metadata;
 * - `<name>.build.json`: the extension's record of that build: scope, split file, and the hash of the pairs file.
 *
 * Staleness (freshness.ts) compares that hash with the pairs file the curated data would give now: any edit,
 * exclusion, import or new split assignment that changes what would be indexed makes the index stale, and nothing
 * else does (a flag or a note does not). The manifest's own `data_hash` is the trainer's and is only shown.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as v from 'valibot';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomicFile';
import { trainerArgs } from '../trainer/process';
import type { ExportInput } from '../dataset/export';
import { compareIds } from '../dataset/hash';
import type { SplitFile } from '../dataset/split';
import { IndexManifestSchema, type IndexManifest } from './contract';
import { retrievalLine, type Freshness } from './freshness';
import { needsFirst } from '../util/prerequisite';

export const RETRIEVAL_DIR = path.join('.medqa', 'retrieval');
export const BUILD_FORMAT = 'medqa-retrieval-build';

/** "all": every curated pair (search, the Playground); "train": the training split only (RAG training, evaluation). */
export type IndexScope = 'all' | 'train';

const BuildRecordSchema = v.object({
  format: v.literal(BUILD_FORMAT),
  version: v.literal(1),
  scope: v.picklist(['all', 'train']),
  /** The split file, relative to the workspace folder (train scope). */
  splitFile: v.nullable(v.string()),
  splitHash: v.nullable(v.string()),
  /** `pairsHash` of the pairs file as written (freshness.ts). */
  pairsHash: v.string(),
  pairs: v.number(),
  createdAt: v.string(),
});
export type BuildRecord = v.InferOutput<typeof BuildRecordSchema>;

export interface IndexPaths {
  name: string;
  dir: string;
  pairsFile: string;
  buildFile: string;
  manifest: string;
}

export function retrievalRoot(workspaceDir: string): string {
  return path.join(workspaceDir, RETRIEVAL_DIR);
}

/** `all`, or `train-split-<seed>` for a split's training pairs: one index per scope, rebuilt in place. */
export function indexName(scope: IndexScope, split?: Pick<SplitFile, 'seed'>): string {
  if (scope === 'all') return 'all';
  if (!split)
    throw needsFirst('createSplit', 'An index of the training split needs a split: create one first.');
  return `train-split-${split.seed}`;
}

export function indexPaths(workspaceDir: string, name: string): IndexPaths {
  if (!/^[\w-]+$/.test(name)) throw new Error(`"${name}" is not a retrieval index name.`);
  const root = retrievalRoot(workspaceDir);
  const dir = path.join(root, name);
  return {
    name,
    dir,
    pairsFile: path.join(root, `${name}.pairs.jsonl`),
    buildFile: path.join(root, `${name}.build.json`),
    manifest: path.join(dir, 'manifest.json'),
  };
}

/**
 * The pairs file's lines: included, answered pairs in id order, each an export line (contract #1 with its metadata),
 * with `split` from `split` when one is given. The same pairs the export writes.
 */
export function retrievalLines(pairs: readonly ExportInput[], split?: SplitFile): string[] {
  const assigned = split ? new Map(split.assignments.map((a) => [a.id, a.split])) : undefined;
  return [...pairs]
    .sort((a, b) => compareIds(a.id, b.id))
    .flatMap((pair) => retrievalLine(pair, assigned) ?? []);
}

export function pairsText(lines: readonly string[]): string {
  return lines.length ? lines.join('\n') + '\n' : '';
}

export async function writePairsFile(file: string, lines: readonly string[]): Promise<void> {
  await writeFileAtomic(file, pairsText(lines));
}

/** `python <these>`: `index build` over the pairs file (the split file keeps only its training pairs). */
export function buildArgs(paths: IndexPaths, splitFile?: string): string[] {
  const args = ['build', '--data', paths.pairsFile, '--out', paths.dir];
  if (splitFile) args.push('--split-file', splitFile, '--splits', 'train');
  return trainerArgs('index', args);
}

export async function writeBuildRecord(paths: IndexPaths, record: Omit<BuildRecord, 'format' | 'version'>) {
  await writeJsonAtomic(paths.buildFile, { format: BUILD_FORMAT, version: 1, ...record });
}

export interface IndexEntry {
  paths: IndexPaths;
  /** Undefined when the manifest is missing or unreadable (then `problem` says why). */
  manifest?: IndexManifest;
  problem?: string;
  /** Undefined for an index this extension did not build (the command line): its staleness is unknown. */
  record?: BuildRecord;
}

/** Every index folder under `.medqa/retrieval/`, by name (the trainer's temp folders start with a dot). */
export async function listIndexes(workspaceDir: string): Promise<IndexEntry[]> {
  let names: string[];
  try {
    const entries = await fs.readdir(retrievalRoot(workspaceDir), { withFileTypes: true });
    names = entries
      .filter((e) => e.isDirectory() && /^[\w-]+$/.test(e.name))
      .map((e) => e.name)
      .sort(compareIds);
  } catch {
    return [];
  }
  return Promise.all(names.map((name) => readIndex(indexPaths(workspaceDir, name))));
}

export async function readIndex(paths: IndexPaths): Promise<IndexEntry> {
  const entry: IndexEntry = { paths };
  const manifest = await readJson(paths.manifest);
  if (manifest instanceof Error) entry.problem = manifest.message;
  else {
    const parsed = v.safeParse(IndexManifestSchema, manifest);
    if (parsed.success) entry.manifest = parsed.output;
    else entry.problem = `manifest.json is not a retrieval index manifest (${parsed.issues[0].message})`;
  }
  const record = await readJson(paths.buildFile);
  if (!(record instanceof Error)) {
    const parsed = v.safeParse(BuildRecordSchema, record);
    if (parsed.success) entry.record = parsed.output;
  }
  return entry;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return new Error(code === 'ENOENT' ? 'no manifest.json (a build that did not finish)' : String(error));
  }
}

/** The index search uses: a usable "all" index, else any usable one. */
export function preferredIndex(entries: readonly IndexEntry[]): IndexEntry | undefined {
  const usable = entries.filter((e) => e.manifest);
  return usable.find((e) => e.record?.scope === 'all' || e.paths.name === 'all') ?? usable[0];
}

/** Removes an index, its pairs file and its build record. */
export async function deleteIndex(paths: IndexPaths): Promise<void> {
  await fs.rm(paths.dir, { recursive: true, force: true });
  await fs.rm(paths.pairsFile, { force: true });
  await fs.rm(paths.buildFile, { force: true });
}

export function shortHash(hash: string): string {
  return hash.slice(0, 8);
}

export interface IndexSummary {
  label: string;
  /** "1,234 pairs · 3.1 MB · data 1a2b3c4d · stale" */
  description: string;
  details: string[];
  stale: boolean;
}

/** What the QA Pairs view shows for an index. `bytes` formats a size. */
export function describeIndex(
  entry: IndexEntry,
  fresh: Freshness,
  bytes: (n: number) => string,
): IndexSummary {
  const scope = entry.record?.scope ?? (entry.manifest?.source?.splits ? 'train' : undefined);
  const split = entry.record?.splitFile ?? entry.manifest?.source?.split_file;
  const label =
    scope === 'all'
      ? 'Retrieval index: all curated pairs'
      : scope === 'train'
        ? `Retrieval index: training split${split ? ` of ${path.basename(split)}` : ''}`
        : `Retrieval index: ${entry.paths.name}`;
  const manifest = entry.manifest;
  if (!manifest) {
    const why = entry.problem ?? 'unreadable';
    return {
      label,
      description: `unusable: ${why}`,
      details: [why, 'Rebuild it or delete it.'],
      stale: false,
    };
  }
  const stale = fresh.state === 'stale';
  const parts = [
    `${manifest.pairs.toLocaleString('en-US')} pairs`,
    ...(manifest.size_bytes !== undefined ? [bytes(manifest.size_bytes)] : []),
    `data ${shortHash(manifest.data_hash)}`,
    ...(stale ? ['stale'] : []),
  ];
  const details = [
    scope === 'train'
      ? 'Scope: the training split (retrieval-augmented training and evaluation)'
      : scope === 'all'
        ? 'Scope: all curated pairs (search and the Playground)'
        : 'Scope: unknown (built outside MedQA Studio)',
    `${manifest.pairs.toLocaleString('en-US')} pairs, data hash ${manifest.data_hash}`,
    ...(manifest.library ? [`${manifest.library.name} ${manifest.library.version ?? ''}`.trim()] : []),
    ...(manifest.created_at ? [`Built ${manifest.created_at}`] : []),
    fresh.state === 'fresh'
      ? 'Up to date with the curated data'
      : fresh.state === 'stale'
        ? `Stale: ${fresh.why}. Rebuild it.`
        : `Freshness unknown: ${fresh.why}`,
  ];
  return { label, description: parts.join(' · '), details, stale };
}
