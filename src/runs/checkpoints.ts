import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { RunProgress } from './runState';

export interface CheckpointInfo {
  /** Absolute folder of the adapter (`checkpoint-<step>/` or the final `adapter/`). */
  path: string;
  name: string;
  kind: 'checkpoint' | 'final';
  step: number | null;
  /** The adapter's files are all there (a checkpoint being saved has its folder before its weights). */
  complete: boolean;
  evalLoss: number | null;
  isBest: boolean;
}

const CHECKPOINT_DIR = /^checkpoint-(\d+)$/;
const ADAPTER_WEIGHTS = ['adapter_model.safetensors', 'adapter_model.bin'];

/**
 * An adapter folder is usable once its config and weights are there; a `checkpoint-<step>/` also needs
 * `trainer_state.json`, which transformers writes last (the trainer's own test for a complete checkpoint).
 */
async function isComplete(dir: string, kind: CheckpointInfo['kind']): Promise<boolean> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return false;
  }
  const adapter =
    names.includes('adapter_config.json') && ADAPTER_WEIGHTS.some((weights) => names.includes(weights));
  return adapter && (kind === 'final' || names.includes('trainer_state.json'));
}

function sameCheckpoint(runDir: string, recorded: string, folder: string): boolean {
  const resolved = path.resolve(runDir, recorded);
  return resolved === folder || path.basename(resolved) === path.basename(folder);
}

/**
 * The run's adapters on disk, oldest first, final `adapter/` last. Eval losses come from the events; the best
 * one is the trainer's choice (`run_finished.best_checkpoint`, else the latest `is_best` checkpoint event),
 * falling back to the lowest eval loss among the checkpoints still on disk.
 */
export async function discoverCheckpoints(runDir: string, progress: RunProgress): Promise<CheckpointInfo[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(runDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: CheckpointInfo[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const match = CHECKPOINT_DIR.exec(entry.name);
    const folder = path.join(runDir, entry.name);
    if (match) {
      const step = Number(match[1]);
      const event = progress.checkpoints.find((c) => c.step === step);
      const evalLoss = event?.eval_loss ?? progress.evals.find((e) => e.step === step)?.evalLoss ?? null;
      found.push({
        path: folder,
        name: entry.name,
        kind: 'checkpoint',
        step,
        complete: await isComplete(folder, 'checkpoint'),
        evalLoss,
        isBest: false,
      });
    } else if (entry.name === 'adapter') {
      found.push({
        path: folder,
        name: entry.name,
        kind: 'final',
        step: progress.terminal === 'run_finished' ? (progress.finalStep ?? null) : null,
        complete: await isComplete(folder, 'final'),
        evalLoss: finalEvalLoss(progress),
        isBest: false,
      });
    }
  }
  found.sort((a, b) => (a.kind === b.kind ? (a.step ?? 0) - (b.step ?? 0) : a.kind === 'final' ? 1 : -1));
  const best = bestCheckpoint(runDir, progress, found);
  if (best) best.isBest = true;
  return found;
}

/**
 * The final `adapter/` of a run that validated holds its best checkpoint's weights (the trainer sets
 * load_best_model_at_end whenever it validates), so it has that checkpoint's eval loss; without a recorded best it
 * has none. A run whose checkpoint folders are gone (deleted, or a shipped run that keeps only `adapter/`) still
 * shows the loss of what it ships.
 */
function finalEvalLoss(progress: RunProgress): number | null {
  if (progress.terminal !== 'run_finished' || !progress.bestCheckpoint) return null;
  if (progress.bestEvalLoss != null) return progress.bestEvalLoss;
  const recorded = path.basename(progress.bestCheckpoint);
  return progress.checkpoints.find((c) => path.basename(c.path) === recorded)?.eval_loss ?? null;
}

function bestCheckpoint(
  runDir: string,
  progress: RunProgress,
  found: CheckpointInfo[],
): CheckpointInfo | undefined {
  const candidates = found.filter((c) => c.kind === 'checkpoint');
  const recorded =
    progress.bestCheckpoint ?? [...progress.checkpoints].reverse().find((c) => c.is_best)?.path ?? undefined;
  if (recorded) {
    const match = candidates.find((c) => sameCheckpoint(runDir, recorded, c.path));
    if (match) return match;
  }
  // The recorded best folder is gone, but the final adapter carries its weights: that one is the best on disk.
  const final = found.find((c) => c.kind === 'final' && c.evalLoss !== null);
  if (final) return final;
  let best: CheckpointInfo | undefined;
  for (const candidate of candidates) {
    if (candidate.evalLoss === null) continue;
    if (!best || candidate.evalLoss < (best.evalLoss as number)) best = candidate;
  }
  return best;
}
