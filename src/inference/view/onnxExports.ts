import * as path from 'node:path';
import type { ExportCatalog } from '../../artifacts/exportCatalog';
import { exportLabel, madeFrom } from '../exportIndex';
import { readExport } from '../exportReader';
import type { PlaygroundSide } from '../../protocol/playground';
import type { QuantizationScheme } from '../../protocol/trainer/onnxManifest';
import type { ExportSummary } from '../exportIndex';

/** The export of the precision asked for (null: fp32); with none asked, fp32 first, then the newest. */
function ofPrecision(
  found: readonly ExportSummary[],
  precision: QuantizationScheme | null | undefined,
): ExportSummary | undefined {
  if (precision !== undefined) return found.find((e) => e.quantization === precision);
  return found.find((e) => e.quantization === null) ?? found[0];
}

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
 * The exports the playground answers with for a checkpoint: its own (matched by the manifest's adapter path; of
 * the precision picked, fp32 unless one was) and its base model's (of the same precision when there is one, else
 * fp32), each checked by the export reader. Missing or mismatched ones come back as problems.
 */
export async function usableExports(
  exports: ExportCatalog,
  target: { checkpoint: string; model: string; precision?: QuantizationScheme | null },
): Promise<{
  exports: Record<PlaygroundSide, string | null>;
  labels: Record<PlaygroundSide, string | null>;
  problems: string[];
}> {
  await exports.refresh();
  const problems: string[] = [];
  const name = path.basename(target.checkpoint);
  const found: Record<PlaygroundSide, string | null> = { base: null, adapter: null };
  const adapter = ofPrecision(exports.of(target.checkpoint), target.precision);
  if (!adapter && target.precision && exports.of(target.checkpoint).length > 0)
    problems.push(
      `${name} has no ${target.precision} ONNX export: run "MedQA: Export Checkpoint to ONNX" and pick ${target.precision}.`,
    );
  else if (!adapter) problems.push(`${name} has no ONNX export yet: run "MedQA: Export Checkpoint to ONNX".`);
  else if (!madeFrom(adapter, target.model))
    problems.push(
      `The export of ${name} was made from ${adapter.model}, not from its run's model ${target.model}.`,
    );
  else found.adapter = adapter.dir;
  const base =
    (adapter?.quantization ? exports.baseOf(target.model, adapter.quantization) : undefined) ??
    exports.baseOf(target.model);
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
  const labels: Record<PlaygroundSide, string | null> = {
    adapter: found.adapter && adapter ? exportLabel(adapter) : null,
    base: found.base && base ? exportLabel(base) : null,
  };
  return { exports: found, labels, problems };
}
