/**
 * Where the evaluations of a run imported read-only (a Hugging Face Trainer folder we must not write into) live:
 * `<workspace>/.medqa/imported-runs/<name>-<hash>/`, the hash of the run folder's real path. Keyed by the folder
 * name alone, two imported runs called `output` shared one folder and each listed the other's evaluations.
 * Evaluations an older version kept under `<name>/` are moved to their run's folder (evaluation.json names the run).
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, realpathSync } from 'node:fs';
import * as path from 'node:path';

export const IMPORTED_RUNS_DIR = path.join('.medqa', 'imported-runs');
// evaluationFolder.ts's EVALUATIONS_DIR and EVALUATION_FILE; not imported, as that module imports this one.
const EVALUATIONS_DIR = 'evaluations';
const EVALUATION_FILE = 'evaluation.json';

/** The run an evaluation folder's evaluation.json names (`runDir`), if it can be read. */
async function recordedRunDir(evaluationDir: string): Promise<string | undefined> {
  try {
    const record = JSON.parse(
      await fs.readFile(path.join(evaluationDir, EVALUATION_FILE), 'utf8'),
    ) as unknown;
    const runDir = (record as { runDir?: unknown } | null)?.runDir;
    return typeof runDir === 'string' ? runDir : undefined;
  } catch {
    return undefined;
  }
}

function realPath(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/** `<name>-<first 8 hex of sha256(real path)>`: readable, and one per run folder however it is reached. */
export function importedRunKey(runDir: string): string {
  const hash = createHash('sha256').update(realPath(runDir)).digest('hex').slice(0, 8);
  return `${path.basename(path.resolve(runDir))}-${hash}`;
}

export function importedRunHome(runDir: string, workspaceRoot: string): string {
  return path.join(workspaceRoot, IMPORTED_RUNS_DIR, importedRunKey(runDir));
}

/**
 * Moves the evaluations of `runDir` out of the folder older versions shared by name (`imported-runs/<name>/`)
 * into the run's own; an evaluation whose record names another run (or none) stays where it is, and
 * `legacyImportedHomes` keeps it listed. Returns how many moved.
 */
export async function adoptLegacyEvaluations(runDir: string, workspaceRoot: string): Promise<number> {
  const legacy = path.join(
    workspaceRoot,
    IMPORTED_RUNS_DIR,
    path.basename(path.resolve(runDir)),
    EVALUATIONS_DIR,
  );
  if (!existsSync(legacy)) return 0;
  const target = path.join(importedRunHome(runDir, workspaceRoot), EVALUATIONS_DIR);
  const real = realPath(runDir);
  let moved = 0;
  for (const entry of await fs.readdir(legacy, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory()) continue;
    const from = path.join(legacy, entry.name);
    const recorded = await recordedRunDir(from);
    // A record may hold paths relative to its folder; the move keeps the folder's depth, so they still resolve.
    if (recorded === undefined || realPath(path.resolve(from, recorded)) !== real) continue;
    const to = path.join(target, entry.name);
    if (existsSync(to)) continue;
    await fs.mkdir(target, { recursive: true });
    await fs.rename(from, to);
    moved++;
  }
  return moved;
}

/** Folders under imported-runs/ that hold evaluations but are no known run's home (left by older versions). */
export async function legacyImportedHomes(
  workspaceRoot: string,
  homes: readonly string[],
): Promise<string[]> {
  const root = path.join(workspaceRoot, IMPORTED_RUNS_DIR);
  const found: string[] = [];
  for (const entry of await fs.readdir(root, { withFileTypes: true }).catch(() => [])) {
    const dir = path.join(root, entry.name);
    if (!entry.isDirectory() || homes.includes(dir)) continue;
    const evaluations = await fs.readdir(path.join(dir, EVALUATIONS_DIR)).catch(() => []);
    if (evaluations.length > 0) found.push(dir);
  }
  return found;
}
