import { existsSync } from 'node:fs';
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
import { needsFolder } from '../../util/prerequisite';
import type { ExtensionServices } from '../../vscode/services';
import { trainerPython } from '../../trainer/view/trainerPython';
import {
  adapterExportDir,
  baseExportDir,
  madeFrom,
  MANIFEST_FILE,
  quantizedDir,
  readExportSummary,
} from '../exportIndex';
import { addTiming, estimateExport, formatSeconds, readTimings, type ExportTiming } from '../exportProgress';
import { ExportTracker } from '../exportTracker';
import { modelParameters, ONNX_EXPORT, runJob, type ExportJob } from './exportOnnx';
import { pickPrecision, quantizeJob, type ExportPrecision } from './exportPrecision';
import type { ExportCatalog } from '../../artifacts/exportCatalog';

/** What tests (and the playground) may pass instead of answering prompts. */
export interface ExportOptions {
  checkpointPath: string;
  runDir?: string;
  baseModel?: string;
  /** Export again over an existing export without asking. */
  force?: boolean;
  /** The weights (default fp32 when options are given; asked otherwise). */
  quantize?: ExportPrecision;
}

export interface ExportResult {
  adapter: string;
  base: string;
}

/** What one "Export Checkpoint to ONNX" does: the base model's export when missing, then the checkpoint's. */
interface ExportPlan {
  target: CheckpointTarget;
  model: string;
  /** The run's name, which names the folder of its exports. */
  run: string;
  jobs: ExportJob[];
  /** Export over an existing export (the user said so). */
  force: boolean;
  adapterOut: string;
  baseOut: string;
  precision: ExportPrecision;
}

/** The estimates told before the export, and what the exports took so far on this machine. */
interface Tracking {
  history: ExportTiming[];
  parameters: number | null;
  tracker: ExportTracker;
}

let running = false;

/** Global state: what exports took on this machine, the basis of the next estimate. */
const TIMINGS_KEY = 'medqa.onnxExport.timings';

/** The checkpoint (given or picked), its base model and the jobs; undefined when the user backs out. */
async function planExport(
  services: ExtensionServices,
  registry: RunRegistry,
  exports: ExportCatalog,
  arg: unknown,
): Promise<ExportPlan | undefined> {
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

  const precision = await pickPrecision(options ? (options.quantize ?? 'none') : undefined);
  if (!precision) return undefined;

  const run = registry.get(target.runDir)?.name ?? path.basename(target.runDir);
  const fp32Out = adapterExportDir(root, run, path.basename(target.checkpoint));
  const adapterOut = precision === 'none' ? fp32Out : quantizedDir(fp32Out, precision);
  await exports.refresh();
  const jobs: ExportJob[] = [];
  const existing = existsSync(path.join(adapterOut, MANIFEST_FILE));
  let force = options?.force === true;
  if (existing && !force) {
    const again = await vscode.window.showWarningMessage(
      `${path.basename(target.checkpoint)} of ${run} already has ${precision === 'none' ? 'an' : `an ${precision}`} ONNX export. Export it again?`,
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
  const checkpoint = {
    label: path.basename(target.checkpoint),
    model,
    adapter: target.checkpoint,
    out: fp32Out,
  };
  if (precision !== 'none') {
    const base = { label: 'base model', model, adapter: null, out: baseOut };
    const quantizedBase = exports.baseOf(model, precision)?.dir;
    if (!quantizedBase) jobs.push(quantizeJob(base, precision, quantizedDir(baseOut, precision)));
    baseOut = quantizedBase ?? quantizedDir(baseOut, precision);
    // The checkpoint's fp32 export is the reference its quantised one is checked against: made once, then reused.
    if (!existsSync(path.join(fp32Out, MANIFEST_FILE))) jobs.push(checkpoint);
    jobs.push(quantizeJob(checkpoint, precision, adapterOut));
  } else {
    // The checkpoint last: once its export shows under it, the playground has both.
    jobs.push(checkpoint);
  }
  return { target, model, run, jobs, force, adapterOut, baseOut, precision };
}

/** Each job's estimate from the exports this machine made before, written to the output before anything runs. */
async function startTracking(
  services: ExtensionServices,
  plan: ExportPlan,
  output: vscode.OutputChannel,
): Promise<Tracking> {
  const { model, jobs } = plan;
  const history = readTimings(services.context.globalState.get(TIMINGS_KEY));
  const parameters = await modelParameters(model);
  // The measured times are of fp32 exports; a quantisation (seconds to a minute) has no estimate of its own.
  const estimates = jobs.map((job) =>
    job.quantize ? undefined : estimateExport({ model, adapter: job.adapter !== null, parameters }, history),
  );
  const tracker = new ExportTracker(
    jobs.map((job, index) => ({ label: job.label, estimate: estimates[index] })),
    Date.now(),
  );
  for (const [index, job] of jobs.entries()) {
    const estimate = estimates[index];
    output.appendLine(
      `Export ${index + 1}/${jobs.length}, ${job.label}: ${
        estimate
          ? `about ${formatSeconds(estimate.seconds)} (${estimate.basis})`
          : job.quantize
            ? `quantising the fp32 export to ${job.quantize.precision} and comparing the two (no estimate)`
            : 'no estimate yet (the size of this model is unknown; this export measures it)'
      }`,
    );
  }
  return { history, parameters, tracker };
}

/** Runs the jobs one after the other, recording what each took; true when the user cancelled. */
async function exportEach(
  services: ExtensionServices,
  python: string,
  plan: ExportPlan,
  output: vscode.OutputChannel,
  { parameters, tracker, history }: Tracking,
  signal: AbortSignal,
  update: () => void,
): Promise<boolean> {
  for (const [index, job] of plan.jobs.entries()) {
    // Cancelled between two jobs: no "exported" notification for a checkpoint that was not.
    if (signal.aborted) return true;
    tracker.startJob(index, Date.now());
    update();
    const done = await runJob(
      services,
      python,
      job,
      plan.force || existsSync(job.out),
      output,
      signal,
      (line) => {
        tracker.line(line, Date.now());
        update();
      },
    );
    if (!done) return true;
    const measured = tracker.finishJob(Date.now());
    if (job.quantize) continue;
    history = addTiming(history, {
      model: plan.model,
      adapter: job.adapter !== null,
      parameters: measured.parameters ?? parameters,
      seconds: measured.seconds,
      phaseSeconds: measured.phaseSeconds,
    });
    await services.context.globalState.update(TIMINGS_KEY, history);
  }
  return false;
}

/** The jobs under a cancellable notification whose bar moves every second; true when the user cancelled. */
function exportWithProgress(
  services: ExtensionServices,
  python: string,
  plan: ExportPlan,
  output: vscode.OutputChannel,
  tracking: Tracking,
): Thenable<boolean> {
  const name = path.basename(plan.target.checkpoint);
  const estimated = tracking.tracker.totalEstimate;
  return vscode.window.withProgress(
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
        const percent = tracking.tracker.fraction(now) * 100;
        progress.report({ increment: percent - shown, message: tracking.tracker.message(now) });
        shown = percent;
      };
      // The bar moves between the exporter's lines too: torch.onnx can be silent for a minute.
      const timer = setInterval(update, 1000);
      try {
        return await exportEach(services, python, plan, output, tracking, abort.signal, update);
      } finally {
        clearInterval(timer);
      }
    },
  );
}

/** The time taken in the output, and a notification that opens the playground on the export. */
function announce(plan: ExportPlan, output: vscode.OutputChannel, started: number, estimated?: number): void {
  const name = path.basename(plan.target.checkpoint);
  const took = formatSeconds((Date.now() - started) / 1000);
  output.appendLine(
    `Exported ${name} in ${took}${estimated !== undefined ? ` (estimated ${formatSeconds(estimated)})` : ''}.`,
  );
  void vscode.window
    .showInformationMessage(
      `MedQA: ${name} of ${plan.run} is exported to ONNX (${took}). Ask it and the base model in the playground.`,
      'Open Playground',
      'Show Output',
    )
    .then((choice) => {
      if (choice === 'Open Playground')
        void vscode.commands.executeCommand(Commands.inferenceOpenPlayground, {
          kind: 'onnxExport',
          checkpointPath: plan.target.checkpoint,
          runDir: plan.target.runDir,
          quantization: plan.precision === 'none' ? null : plan.precision,
        });
      else if (choice === 'Show Output') output.show(true);
    });
}

/**
 * "Export Checkpoint to ONNX": runs `medqa_trainer export-onnx` through the one process layer for the adapter
 * (into `.medqa/onnx/<run>/<checkpoint>/`) and, when the workspace has none yet, for its base model (into
 * `.medqa/onnx/base/<model>/`): the playground answers with both side by side.
 */
export async function exportCheckpoint(
  services: ExtensionServices,
  registry: RunRegistry,
  exports: ExportCatalog,
  output: vscode.OutputChannel,
  arg: unknown,
): Promise<ExportResult | undefined> {
  if (!services.requireTrust('Exporting a checkpoint to ONNX')) return undefined;
  if (running) throw new Error('An ONNX export is already running. Wait for it or cancel it.');
  const plan = await planExport(services, registry, exports, arg);
  if (!plan) return undefined;
  const python = await trainerPython(services, ONNX_EXPORT);
  if (!python) return undefined;
  const tracking = await startTracking(services, plan, output);
  running = true;
  let cancelled = false;
  const started = Date.now();
  try {
    cancelled = await exportWithProgress(services, python, plan, output, tracking);
  } finally {
    running = false;
    await exports.refresh();
  }
  if (cancelled) {
    void vscode.window.showInformationMessage('MedQA: ONNX export cancelled; nothing half-written was kept.');
    return undefined;
  }
  announce(plan, output, started, tracking.tracker.totalEstimate);
  return { adapter: plan.adapterOut, base: plan.baseOut };
}
