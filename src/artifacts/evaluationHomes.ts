import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EVALUATIONS_DIR, evaluationHome } from '../evaluation/evaluationFolder';
import { adoptLegacyEvaluations, legacyImportedHomes } from '../evaluation/importedRuns';
import { PLAYGROUND_DIR } from '../inference/playgroundRecord';
import type { RunInfo } from '../runs/registry';
import { pushAll } from '../util/arrays';

/** Sub-folders of `parent` that hold an `evaluations/` folder and are not in `homes` yet. */
async function foldersWithEvaluations(parent: string, homes: readonly string[]): Promise<string[]> {
  const entries = await fs.readdir(parent, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join(parent, entry.name))
    .filter((dir) => existsSync(path.join(dir, EVALUATIONS_DIR)) && !homes.includes(dir));
}

/**
 * The folders whose `evaluations/` hold evaluations (see `evaluationHome`): the runs' own (an imported run's under
 * `.medqa/imported-runs/`), those older versions left under imported-runs/, folders of the runs directory that
 * hold evaluations without the run's own files (results copied in), and the Playground's saved exchanges
 * (`.medqa/playground/<run>-<checkpoint>/evaluations/playground/`).
 */
export async function evaluationHomes(
  runs: readonly RunInfo[],
  runsDir: string | undefined,
  workspaceRoot: string | undefined,
): Promise<string[]> {
  const homes = runs.flatMap((run) => {
    try {
      return [evaluationHome(run, workspaceRoot)];
    } catch {
      return [];
    }
  });
  if (workspaceRoot) {
    // Imported runs' evaluations from before their folders were keyed by path: moved to their run, or still listed.
    for (const run of runs.filter((r) => r.source === 'huggingface'))
      await adoptLegacyEvaluations(run.dir, workspaceRoot).catch(() => 0);
    pushAll(homes, await legacyImportedHomes(workspaceRoot, homes));
  }
  if (runsDir) pushAll(homes, await foldersWithEvaluations(runsDir, homes));
  if (workspaceRoot)
    pushAll(homes, await foldersWithEvaluations(path.join(workspaceRoot, PLAYGROUND_DIR), homes));
  return homes;
}
