import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { PlaygroundState } from '../../protocol/playground';
import {
  baseModelOf,
  checkpointOf,
  pickCheckpoint,
  type CheckpointTarget,
} from '../../evaluation/view/evaluationTargets';
import type { RunRegistry } from '../../runs/registry';
import type { QuantizationScheme } from '../../protocol/trainer/onnxManifest';
import { MANIFEST_FILE, readExportSummary } from '../exportIndex';
import { exportDirOf } from './exportCommands';
import type { PlaygroundPanel } from './playgroundPanel';

/** The Playground on a checkpoint (on its export of `precision` when given); its base model is looked up when
 * not given. */
export async function openOn(
  playground: PlaygroundPanel,
  target: CheckpointTarget,
  precision?: QuantizationScheme | null,
): Promise<PlaygroundState> {
  const model = target.model ?? (await baseModelOf(target));
  if (!model)
    throw new Error(`No base model known for ${target.checkpoint}: its run names no model_name_or_path.`);
  return playground.showCheckpoint({
    checkpoint: target.checkpoint,
    runDir: target.runDir,
    model,
    precision,
  });
}

/**
 * "Open Playground" on an export (tree element or folder), a checkpoint, the checkpoint shown last, or the user's
 * pick, in that order.
 */
export async function openPlayground(
  playground: PlaygroundPanel,
  registry: RunRegistry,
  arg: unknown,
): Promise<PlaygroundState | undefined> {
  if (arg && typeof arg === 'object' && (arg as { kind?: unknown }).kind === 'onnxExport') {
    // The export clicked in the Checkpoints view ("ONNX int4"): the playground answers with that one.
    const element = arg as {
      checkpointPath: string;
      runDir: string;
      quantization?: QuantizationScheme | null;
    };
    return openOn(
      playground,
      { checkpoint: element.checkpointPath, runDir: element.runDir },
      element.quantization ?? null,
    );
  }
  const dir = exportDirOf(arg);
  if (dir && existsSync(path.join(dir, MANIFEST_FILE))) {
    const summary = await readExportSummary(dir);
    if ('problem' in summary) throw new Error(`${dir}: ${summary.problem}`);
    if (!summary.adapter)
      throw new Error(`${dir} is a base model's export: open the playground on a checkpoint.`);
    return openOn(
      playground,
      { checkpoint: summary.adapter, runDir: path.dirname(summary.adapter), model: summary.model },
      summary.quantization,
    );
  }
  const given = checkpointOf(arg);
  if (given)
    return openOn(playground, { checkpoint: given.checkpoint, runDir: given.runDir, model: given.model });
  if (playground.currentTarget) return playground.showCheckpoint(playground.currentTarget);
  const picked = await pickCheckpoint(registry, 'Open the playground with which checkpoint?');
  return picked ? openOn(playground, picked) : undefined;
}
