import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { CheckpointInfo } from '../../runs/checkpoints';
import type { RunInfo } from '../../runs/registry';
import { runDirOf, type RunsFeature } from '../../runs/view/runsFeature';
import { isReadOnlyRun, runLabel, STATUS_LABELS } from '../../runs/view/runItems';
import type { ExtensionServices } from '../../vscode/services';
import { trainerPython } from '../../trainer/view/trainerPython';
import { parseRunYaml } from '../../runs/runYaml';
import type { TrainingSessions } from './trainingSessions';

/** The newest complete `checkpoint-<step>/` the registry found for the run. */
export function resumeCheckpoint(run: RunInfo): CheckpointInfo | undefined {
  return run.checkpoints
    .filter((c) => c.kind === 'checkpoint' && c.complete && c.step !== null)
    .sort((a, b) => (b.step ?? 0) - (a.step ?? 0))[0];
}

/**
 * The config the trainer restarts with: the run.yaml we wrote, else the trainer's resolved config.yaml, and only
 * if its `output_dir` is this folder (a copied or moved run would otherwise train into its old place).
 */
async function resumeConfig(run: RunInfo): Promise<string> {
  const file = run.files.runConfig ?? run.files.resolvedConfig;
  if (!file) throw new Error(`${runLabel(run)} has no run.yaml or config.yaml to resume with.`);
  let outputDir: unknown;
  try {
    outputDir = parseRunYaml(await fs.readFile(file, 'utf8')).output_dir;
  } catch (error) {
    throw new Error(`${path.basename(file)} of ${runLabel(run)} cannot be read: ${(error as Error).message}`);
  }
  if (typeof outputDir !== 'string' || path.resolve(run.dir, outputDir) !== path.resolve(run.dir)) {
    throw new Error(
      `${path.basename(file)} of ${runLabel(run)} trains into ${String(outputDir)}, not into this folder ` +
        `(was the run moved or copied?). Resume it from a terminal with an edited config.`,
    );
  }
  return file;
}

/** "Resume Training": continue a cancelled or interrupted run from its newest checkpoint, after asking. */
export function registerResume(
  services: ExtensionServices,
  runs: RunsFeature,
  sessions: TrainingSessions,
): void {
  services.registerCommand(
    Commands.trainingResume,
    async (arg?: unknown, options?: unknown): Promise<string | undefined> => {
      if (!services.requireTrust('Resuming training')) return undefined;
      const given =
        options && typeof options === 'object' && !Array.isArray(options)
          ? (options as { confirmed?: boolean })
          : {};
      let runDir = runDirOf(arg);
      if (!runDir) {
        const resumable = runs.registry
          .list()
          .filter((r) => !isReadOnlyRun(r) && (r.status === 'cancelled' || r.status === 'interrupted'));
        if (resumable.length === 0) {
          void vscode.window.showInformationMessage('MedQA: no cancelled or interrupted run to resume.');
          return undefined;
        }
        runDir = (
          await vscode.window.showQuickPick(
            resumable.map((r) => ({
              label: runLabel(r),
              description: STATUS_LABELS[r.status],
              detail: r.dir,
              dir: r.dir,
            })),
            { placeHolder: 'Run to resume' },
          )
        )?.dir;
        if (!runDir) return undefined;
      }
      const run = await runs.registry.refreshRun(runDir);
      if (!run) throw new Error(`${runDir} is not a run in the Runs view.`);
      const label = runLabel(run);
      if (isReadOnlyRun(run))
        throw new Error(`${label} is an imported Hugging Face run: MedQA Studio does not train it.`);
      if (sessions.isRunning(run.dir) || run.status === 'running')
        throw new Error(`${label} is training already.`);
      if (run.status !== 'cancelled' && run.status !== 'interrupted') {
        throw new Error(
          `${label} is ${STATUS_LABELS[run.status]}: only a cancelled or interrupted run can be resumed.`,
        );
      }
      const checkpoint = resumeCheckpoint(run);
      if (!checkpoint) {
        throw new Error(
          `${label} has no complete checkpoint-<step> folder to resume from: it stopped before its first save.`,
        );
      }
      const configFile = await resumeConfig(run);
      const total = run.progress.totalSteps;
      const confirmed =
        given.confirmed ??
        (await vscode.window.showInformationMessage(
          `Resume training "${label}" from ${checkpoint.name} (step ${checkpoint.step}${total ? ` of ${total}` : ''})?`,
          {
            modal: true,
            detail: `The trainer continues in ${run.dir} with ${path.basename(configFile)}; steps after ${checkpoint.step} are logged again.`,
          },
          'Resume',
        )) === 'Resume';
      if (!confirmed) return undefined;
      const python = await trainerPython(services);
      if (!python) return undefined;
      await sessions.launch(python, run.dir, configFile, checkpoint.path);
      services.log.info(`Resuming ${run.name} from ${checkpoint.path}`);
      return run.dir;
    },
  );
}
