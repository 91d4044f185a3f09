import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import {
  baseModelOf,
  checkpointOf,
  pickCheckpoint,
  type CheckpointTarget,
} from '../../evaluation/view/evaluationTargets';
import type { RunRegistry } from '../../runs/registry';
import { CATALOG } from '../../training/modelCatalog';
import { trainerEnv } from '../../trainer/pythonEnvironment';
import { runTrainerCommand, trainerArgs } from '../../trainer/process';
import type { ExtensionServices } from '../../vscode/services';
import { trainerPython, type TrainerNeeds } from '../../trainer/view/trainerPython';
import { adapterExportDir, baseExportDir, madeFrom, MANIFEST_FILE, readExportSummary } from '../exportIndex';
import {
  addTiming,
  estimateExport,
  formatSeconds,
  parseExporterLine,
  readTimings,
  type ExporterLine,
} from '../exportProgress';
import { ExportTracker } from '../exportTracker';
import type { OnnxExports } from './onnxExports';
import { needsFolder } from '../../util/prerequisite';

/** What `export-onnx` imports: without these the trainer fails at once. */
export const ONNX_EXPORT: TrainerNeeds = {
  action: 'export to ONNX',
  packages: ['torch', 'transformers', 'peft', 'onnx', 'onnxruntime'],
};

/** What tests (and the playground) may pass instead of answering prompts. */
export interface ExportOptions {
  checkpointPath: string;
  runDir?: string;
  baseModel?: string;
  /** Export again over an existing export without asking. */
  force?: boolean;
}

export interface ExportResult {
  adapter: string;
  base: string;
}

interface ExportJob {
  label: string;
  model: string;
  adapter: string | null;
  out: string;
}

/** The trainer's own explanation: its last line that reads like an error, else its last line. */
export function trainerMessage(lines: readonly string[]): string | undefined {
  const meaningful = lines.map((l) => l.trim()).filter(Boolean);
  const error = [...meaningful].reverse().find((l) => /error|cannot|failed|not found|no such/i.test(l));
  return error ?? meaningful[meaningful.length - 1];
}

let running = false;

/** Global state: what exports took on this machine, the basis of the next estimate. */
const TIMINGS_KEY = 'medqa.onnxExport.timings';

/**
 * The model's parameter count before anything loads it: the catalogue's figure, else a local folder's safetensors
 * bytes over its dtype's size; null when unknown (a hub id outside the catalogue).
 */
async function modelParameters(model: string): Promise<number | null> {
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

/**
 * "Export Checkpoint to ONNX": runs `medqa_trainer export-onnx` through the one process layer for the adapter
 * (into `.medqa/onnx/<run>/<checkpoint>/`) and, when the workspace has none yet, for its base model (into
 * `.medqa/onnx/base/<model>/`): the playground answers with both side by side.
 */
export async function exportCheckpoint(
  services: ExtensionServices,
  registry: RunRegistry,
  exports: OnnxExports,
  output: vscode.OutputChannel,
  arg: unknown,
): Promise<ExportResult | undefined> {
  if (!services.requireTrust('Exporting a checkpoint to ONNX')) return undefined;
  if (running) throw new Error('An ONNX export is already running. Wait for it or cancel it.');
  const root = services.workspaceRoot();
  if (!root) throw needsFolder('exports are kept in its .medqa/onnx/ folder');
  const options =
    arg && typeof arg === 'object' && typeof (arg as ExportOptions).checkpointPath === 'string'
      ? (arg as ExportOptions)
      : undefined;
  const target: CheckpointTarget | undefined =
    checkpointOf(arg) ?? (await pickCheckpoint(registry, 'Export which checkpoint to ONNX?'));
  if (!target) return undefined;
  if (!existsSync(path.join(target.checkpoint, 'adapter_config.json')))
    throw new Error(`${target.checkpoint} is not a complete adapter folder (no adapter_config.json).`);
  const model = options?.baseModel ?? (await baseModelOf(target));
  if (!model)
    throw new Error(`No base model known for ${target.checkpoint}: its run names no model_name_or_path.`);

  const run = registry.get(target.runDir)?.name ?? path.basename(target.runDir);
  const adapterOut = adapterExportDir(root, run, path.basename(target.checkpoint));
  await exports.refresh();
  const jobs: ExportJob[] = [];
  const existing = existsSync(path.join(adapterOut, MANIFEST_FILE));
  let force = options?.force === true;
  if (existing && !force) {
    const again = await vscode.window.showWarningMessage(
      `${path.basename(target.checkpoint)} of ${run} already has an ONNX export. Export it again?`,
      { modal: true },
      'Export Again',
    );
    if (!again) return undefined;
    force = true;
  }
  let baseOut = exports.baseOf(model)?.dir;
  if (!baseOut) {
    baseOut = baseExportDir(root, model);
    const there = existsSync(baseOut) ? await readExportSummary(baseOut) : undefined;
    // Another model's export in the folder its name maps to: keep it, use a folder of its own.
    if (there && !('problem' in there) && !madeFrom(there, model)) baseOut = baseExportDir(root, model, true);
    jobs.push({ label: 'base model', model, adapter: null, out: baseOut });
  }
  // The checkpoint last: once its export shows under it, the playground has both.
  jobs.push({ label: path.basename(target.checkpoint), model, adapter: target.checkpoint, out: adapterOut });

  const python = await trainerPython(services, ONNX_EXPORT);
  if (!python) return undefined;
  const { globalState } = services.context;
  let history = readTimings(globalState.get(TIMINGS_KEY));
  const parameters = await modelParameters(model);
  const estimates = jobs.map((job) =>
    estimateExport({ model, adapter: job.adapter !== null, parameters }, history),
  );
  const tracker = new ExportTracker(
    jobs.map((job, index) => ({ label: job.label, estimate: estimates[index] })),
    Date.now(),
  );
  const name = path.basename(target.checkpoint);
  const estimated = tracker.totalEstimate;
  for (const [index, job] of jobs.entries()) {
    const estimate = estimates[index];
    output.appendLine(
      `Export ${index + 1}/${jobs.length}, ${job.label}: ${
        estimate
          ? `about ${formatSeconds(estimate.seconds)} (${estimate.basis})`
          : 'no estimate yet (the size of this model is unknown; this export measures it)'
      }`,
    );
  }
  running = true;
  let cancelled = false;
  const started = Date.now();
  try {
    await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `MedQA: exporting ${name} to ONNX${estimated !== undefined ? ` (about ${formatSeconds(estimated)})` : ''}`,
        cancellable: true,
      },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let shown = 0;
        const update = () => {
          const now = Date.now();
          const percent = tracker.fraction(now) * 100;
          progress.report({ increment: percent - shown, message: tracker.message(now) });
          shown = percent;
        };
        // The bar moves between the exporter's lines too: torch.onnx can be silent for a minute.
        const timer = setInterval(update, 1000);
        try {
          for (const [index, job] of jobs.entries()) {
            // Cancelled between two jobs: no "exported" notification for a checkpoint that was not.
            if (abort.signal.aborted) {
              cancelled = true;
              break;
            }
            tracker.startJob(index, Date.now());
            update();
            cancelled = !(await runJob(
              services,
              python,
              job,
              force || existsSync(job.out),
              output,
              abort.signal,
              (line) => {
                tracker.line(line, Date.now());
                update();
              },
            ));
            if (cancelled) break;
            const measured = tracker.finishJob(Date.now());
            history = addTiming(history, {
              model,
              adapter: job.adapter !== null,
              parameters: measured.parameters ?? parameters,
              seconds: measured.seconds,
              phaseSeconds: measured.phaseSeconds,
            });
            await globalState.update(TIMINGS_KEY, history);
          }
        } finally {
          clearInterval(timer);
        }
      },
    );
  } finally {
    running = false;
    await exports.refresh();
  }
  if (cancelled) {
    void vscode.window.showInformationMessage('MedQA: ONNX export cancelled; nothing half-written was kept.');
    return undefined;
  }
  const took = formatSeconds((Date.now() - started) / 1000);
  output.appendLine(
    `Exported ${name} in ${took}${estimated !== undefined ? ` (estimated ${formatSeconds(estimated)})` : ''}.`,
  );
  void vscode.window
    .showInformationMessage(
      `MedQA: ${name} of ${run} is exported to ONNX (${took}). Ask it and the base model in the playground.`,
      'Open Playground',
      'Show Output',
    )
    .then((choice) => {
      if (choice === 'Open Playground')
        void vscode.commands.executeCommand(Commands.inferenceOpenPlayground, {
          kind: 'onnxExport',
          checkpointPath: target.checkpoint,
          runDir: target.runDir,
        });
      else if (choice === 'Show Output') output.show(true);
    });
  return { adapter: adapterOut, base: baseOut };
}

async function runJob(
  services: ExtensionServices,
  python: string,
  job: ExportJob,
  force: boolean,
  output: vscode.OutputChannel,
  signal: AbortSignal,
  onPhase: (line: ExporterLine) => void,
): Promise<boolean> {
  const existedBefore = existsSync(job.out);
  const args = trainerArgs('export-onnx', [
    '--model',
    job.model,
    ...(job.adapter ? ['--adapter', job.adapter] : []),
    '--out',
    job.out,
    ...(force ? ['--force'] : []),
  ]);
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
