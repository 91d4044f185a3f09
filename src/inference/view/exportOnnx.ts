import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { CATALOG } from '../../training/modelCatalog';
import { trainerEnv } from '../../trainer/pythonEnvironment';
import { runTrainerCommand, trainerArgs, trainerMessage } from '../../trainer/process';
import type { ExtensionServices } from '../../vscode/services';
import type { TrainerNeeds } from '../../trainer/view/trainerPython';
import type { QuantizationScheme } from '../../protocol/trainer/onnxManifest';
import { parseExporterLine, type ExporterLine } from '../exportProgress';

/** What `export-onnx` imports: without these the trainer fails at once. */
export const ONNX_EXPORT: TrainerNeeds = {
  action: 'export to ONNX',
  packages: ['torch', 'transformers', 'peft', 'onnx', 'onnxruntime'],
};

/** One run of `export-onnx`: the base model alone (adapter null) or with an adapter, into `out`; with `quantize`,
 * the weight-only quantisation of the fp32 export `fromExport` (same model and adapter). */
export interface ExportJob {
  label: string;
  model: string;
  adapter: string | null;
  out: string;
  quantize?: { precision: QuantizationScheme; fromExport: string };
}

/** The exporter's arguments for one job. */
export function exportArgs(job: ExportJob, force: boolean): string[] {
  const source = job.quantize
    ? ['--from-export', job.quantize.fromExport, '--quantize', job.quantize.precision]
    : ['--model', job.model, ...(job.adapter ? ['--adapter', job.adapter] : [])];
  return trainerArgs('export-onnx', [...source, '--out', job.out, ...(force ? ['--force'] : [])]);
}

/**
 * The model's parameter count before anything loads it: the catalogue's figure, else a local folder's safetensors
 * bytes over its dtype's size; null when unknown (a hub id outside the catalogue).
 */
export async function modelParameters(model: string): Promise<number | null> {
  const entry = CATALOG.find((e) => e.name === model || e.hub_id === model);
  if (entry) return entry.parameters;
  if (!path.isAbsolute(model)) return null;
  try {
    const names = await fs.readdir(model);
    let bytes = 0;
    for (const name of names.filter((n) => n.endsWith('.safetensors')))
      bytes += (await fs.stat(path.join(model, name))).size;
    if (bytes === 0) return null;
    const config = JSON.parse(await fs.readFile(path.join(model, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const dtype = String(config.torch_dtype ?? config.dtype ?? 'float32');
    return Math.round(bytes / (/16/.test(dtype) ? 2 : 4));
  } catch {
    return null;
  }
}

/** One export job through the one process layer; false when cancelled, an error when the exporter failed. */
export async function runJob(
  services: ExtensionServices,
  python: string,
  job: ExportJob,
  force: boolean,
  output: vscode.OutputChannel,
  signal: AbortSignal,
  onPhase: (line: ExporterLine) => void,
): Promise<boolean> {
  const existedBefore = existsSync(job.out);
  const args = exportArgs(job, force);
  output.appendLine(`$ ${python} ${args.join(' ')}`);
  services.log.info(`ONNX export of ${job.adapter ?? job.model} into ${job.out}`);
  const exit = await runTrainerCommand({
    python,
    args,
    env: trainerEnv(services.context.extensionPath),
    graceMs: 5_000,
    signal,
    onOutput: (line, stream) => {
      output.appendLine(stream === 'stderr' ? `[stderr] ${line}` : line);
      // Only the exporter's own lines are progress; warnings (and their `warnings.warn(` source lines) are not.
      const parsed = parseExporterLine(line);
      if (parsed) onPhase(parsed);
    },
  });
  if (exit.cancelled || exit.code !== 0) {
    // A half-written folder that was not there before is removed; the trainer never leaves a manifest in it.
    if (!existedBefore) await fs.rm(job.out, { recursive: true, force: true }).catch(() => undefined);
  }
  if (exit.cancelled) {
    output.appendLine(`Cancelled the export of ${job.label}.`);
    return false;
  }
  if (exit.code !== 0) {
    const why = trainerMessage(exit.stderrTail) ?? `exit code ${exit.code ?? exit.signal}`;
    throw new Error(`The ONNX export of ${job.label} failed: ${why}`);
  }
  output.appendLine(`Exported ${job.label} to ${job.out}`);
  return true;
}
