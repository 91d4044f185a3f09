/**
 * Folders and files in the workspace that look like datasets, offered by "Import Dataset…" before the file dialog:
 * a folder with data files (XML/CSV/TSV/JSONL) directly inside, a folder whose sub-folders hold them (the MedQuAD
 * root with its collections), or a single CSV/JSONL file. Pure Node (no vscode); scans a bounded number of entries.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { supportedExtensions } from '../import';

export interface ImportCandidate {
  path: string;
  /** Path relative to the workspace (forward slashes). */
  label: string;
  kind: 'folder' | 'file';
  /** Data files directly inside (folders), or sub-folders holding data files (dataset roots). */
  dataFiles: number;
  subFolders: number;
}

const SKIP = new Set(['node_modules', 'runs', 'out', '__pycache__']);
const MAX_DEPTH = 3;
const MAX_ENTRIES = 20_000;

function isData(name: string): boolean {
  return supportedExtensions.includes(path.extname(name).toLowerCase());
}

export async function findImportCandidates(
  root: string,
  exclude: readonly string[] = [],
): Promise<ImportCandidate[]> {
  const excluded = new Set(exclude.map((p) => path.resolve(p)));
  const found: ImportCandidate[] = [];
  let budget = MAX_ENTRIES;
  const relative = (target: string) => path.relative(root, target).split(path.sep).join('/') || '.';

  /** Returns whether `dir` holds data files (directly or below), adding candidates along the way. */
  const visit = async (dir: string, depth: number): Promise<boolean> => {
    // An imported source is not offered again, nor is anything inside it.
    if (excluded.has(path.resolve(dir))) return true;
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    budget -= entries.length;
    const files = entries.filter((entry) => entry.isFile() && isData(entry.name));
    const folders = entries.filter(
      (entry) => entry.isDirectory() && !entry.name.startsWith('.') && !SKIP.has(entry.name),
    );
    let withData = 0;
    if (depth < MAX_DEPTH && budget > 0) {
      for (const folder of folders) if (await visit(path.join(dir, folder.name), depth + 1)) withData++;
    }
    const here = path.resolve(dir);
    if (files.length > 0 || (depth > 0 && withData >= 2)) {
      found.push({
        path: here,
        label: relative(here),
        kind: 'folder',
        dataFiles: files.length,
        subFolders: withData,
      });
    }
    // Loose CSV/JSONL files are datasets of their own; XML files only make sense as a collection folder.
    if (files.length <= 5) {
      for (const file of files) {
        const full = path.resolve(dir, file.name);
        if (path.extname(file.name).toLowerCase() !== '.xml' && !excluded.has(full)) {
          found.push({ path: full, label: relative(full), kind: 'file', dataFiles: 1, subFolders: 0 });
        }
      }
    }
    return files.length > 0 || withData > 0;
  };
  await visit(root, 0);
  // Dataset roots (many sub-folders with data) first, then by path.
  return found.sort((a, b) => b.subFolders - a.subFolders || a.label.localeCompare(b.label));
}
