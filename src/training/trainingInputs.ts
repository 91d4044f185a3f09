import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { catalogEntry } from './modelCatalog';
import { needsFirst } from '../util/prerequisite';

/** A dataset export (contract #1) checked far enough that the trainer can start on it. */
export interface ExportFolder {
  dir: string;
  manifestFile: string;
  trainFile: string;
  validationFile: string;
  testFile?: string;
  counts: { train?: number; validation?: number; test?: number };
  createdAt?: string;
  systemPrompt: string | null;
}

interface ExportManifest {
  format?: unknown;
  version?: unknown;
  createdAt?: unknown;
  counts?: Record<string, unknown>;
  files?: Record<string, unknown>;
  systemPrompt?: unknown;
}

/** Reads `<dir>/manifest.json` and checks the split files it names; throws a message that says what to fix. */
export async function readExportFolder(dir: string): Promise<ExportFolder> {
  const manifestFile = path.join(dir, 'manifest.json');
  let manifest: ExportManifest;
  try {
    manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8')) as ExportManifest;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw needsFirst(
        'exportDataset',
        `${dir} is not a dataset export: it has no manifest.json. Export the dataset for training first.`,
      );
    throw new Error(
      `${manifestFile} is not valid JSON (${(error as Error).message}). Export the dataset again.`,
    );
  }
  if (manifest.format !== 'medqa-chat-jsonl') {
    throw new Error(
      `${manifestFile} has format ${JSON.stringify(manifest.format)}, expected "medqa-chat-jsonl".`,
    );
  }
  if (manifest.version !== 1) {
    throw new Error(
      `${manifestFile} has version ${JSON.stringify(manifest.version)}; this MedQA Studio reads version 1. Export the dataset again.`,
    );
  }
  const files = manifest.files ?? {};
  const fileOf = (split: string): string | undefined =>
    typeof files[split] === 'string' ? path.resolve(dir, files[split] as string) : undefined;
  const trainFile = fileOf('train') ?? path.join(dir, 'train.jsonl');
  const validationFile = fileOf('validation') ?? path.join(dir, 'validation.jsonl');
  for (const [split, file] of [
    ['train', trainFile],
    ['validation', validationFile],
  ] as const) {
    if (!existsSync(file))
      throw new Error(`The export in ${dir} lacks its ${split} split (${file}). Export the dataset again.`);
  }
  const counts: ExportFolder['counts'] = {};
  for (const split of ['train', 'validation', 'test'] as const) {
    const value = manifest.counts?.[split];
    if (typeof value === 'number') counts[split] = value;
  }
  if (counts.train === 0)
    throw new Error(`The export in ${dir} has an empty train split; nothing to train on.`);
  const testFile = fileOf('test');
  return {
    dir,
    manifestFile,
    trainFile,
    validationFile,
    testFile: testFile && existsSync(testFile) ? testFile : undefined,
    counts,
    createdAt: typeof manifest.createdAt === 'string' ? manifest.createdAt : undefined,
    systemPrompt: typeof manifest.systemPrompt === 'string' ? manifest.systemPrompt : null,
  };
}

/** Exports under `<workspace>/.medqa/exports/` (one folder each, newest first); unreadable ones are left out. */
export async function findExportFolders(workspaceRoot: string): Promise<ExportFolder[]> {
  const root = path.join(workspaceRoot, '.medqa', 'exports');
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return [];
  }
  const found: ExportFolder[] = [];
  for (const name of names) {
    try {
      found.push(await readExportFolder(path.join(root, name)));
    } catch {
      // Not an export (or a broken one): the picker only offers usable folders.
    }
  }
  return found.sort(
    (a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || b.dir.localeCompare(a.dir),
  );
}

export type ModelReference =
  { kind: 'folder'; path: string } | { kind: 'catalog'; name: string } | { kind: 'hub'; id: string };

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * A base model as the user typed it: a local folder (absolute, `~`, `./` or relative to `baseDir` when that
 * folder exists), a name from the local model catalogue (the trainer resolves it to its installed folder) or a
 * Hugging Face hub id such as `Qwen/Qwen3-0.6B`. Throws with what is wrong.
 */
export function resolveModelReference(text: string, baseDir: string | undefined): ModelReference {
  const value = text.trim();
  if (!value) throw new Error('Enter a model folder or a hub id such as Qwen/Qwen3-0.6B.');
  const expanded = value === '~' || value.startsWith('~/') ? path.join(os.homedir(), value.slice(1)) : value;
  const looksLocal = path.isAbsolute(expanded) || value.startsWith('.') || value.startsWith('~');
  const local = path.resolve(baseDir ?? process.cwd(), expanded);
  if (looksLocal || (baseDir && existsSync(local))) {
    if (!existsSync(local)) throw new Error(`The model folder ${local} does not exist.`);
    if (!existsSync(path.join(local, 'config.json'))) {
      throw new Error(
        `${local} is not a model folder: it has no config.json (a Hugging Face model saved with save_pretrained).`,
      );
    }
    return { kind: 'folder', path: local };
  }
  if (catalogEntry(value)) return { kind: 'catalog', name: value };
  if (!HUB_ID.test(value))
    throw new Error(`"${value}" is neither a model folder nor a hub id like Qwen/Qwen3-0.6B.`);
  return { kind: 'hub', id: value };
}

export function modelArgument(reference: ModelReference): string {
  if (reference.kind === 'folder') return reference.path;
  return reference.kind === 'catalog' ? reference.name : reference.id;
}
