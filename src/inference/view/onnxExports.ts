import * as path from 'node:path';
import type { ExportCatalog } from '../../artifacts/exportCatalog';
import { madeFrom } from '../exportIndex';
import { readExport } from '../exportReader';
import type { PlaygroundSide } from '../../protocol/playground';

/** An export folder checked by the export reader: null when usable, else what is wrong with it (naming the file). */
async function exportProblem(dir: string): Promise<string | null> {
  try {
    await readExport(dir);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The exports the playground answers with for a checkpoint: its own (matched by the manifest's adapter path)
 * and its base model's, each checked by the export reader. Missing or mismatched ones come back as problems.
 */
export async function usableExports(
  exports: ExportCatalog,
  target: { checkpoint: string; model: string },
): Promise<{ exports: Record<PlaygroundSide, string | null>; problems: string[] }> {
  await exports.refresh();
  const problems: string[] = [];
  const name = path.basename(target.checkpoint);
  const found: Record<PlaygroundSide, string | null> = { base: null, adapter: null };
  const adapter = exports.of(target.checkpoint)[0];
  if (!adapter) problems.push(`${name} has no ONNX export yet: run "MedQA: Export Checkpoint to ONNX".`);
  else if (!madeFrom(adapter, target.model))
    problems.push(
      `The export of ${name} was made from ${adapter.model}, not from its run's model ${target.model}.`,
    );
  else found.adapter = adapter.dir;
  const base = exports.baseOf(target.model);
  if (!base)
    problems.push(`The base model ${target.model} has no ONNX export yet (the export command makes it).`);
  else found.base = base.dir;
  for (const side of ['adapter', 'base'] as const) {
    const dir = found[side];
    const problem = dir ? await exportProblem(dir) : null;
    if (problem) {
      problems.push(`${side === 'base' ? 'Base model export' : `Export of ${name}`}: ${problem}`);
      found[side] = null;
    }
  }
  return { exports: found, problems };
}
