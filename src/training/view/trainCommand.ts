import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { RunsFeature } from '../../runs/view/runsFeature';
import { writeFileAtomic } from '../../util/atomicFile';
import type { ExtensionServices } from '../../vscode/services';
import { trainerPython } from '../../trainer/view/trainerPython';
import { trainingNeeds } from '../../trainer/needs';
import { setting } from '../../vscode/settings';
import {
  buildRunConfig,
  defaultRunName,
  PRESET_NAMES,
  toFlatYaml,
  validateOverrides,
  withReportTo,
  type PresetName,
} from '../trainConfig';
import { readExportFolder } from '../trainingInputs';
import { trainingSplitIndex } from './groundingIndex';
import { installModel } from './installModel';
import { modelValue, rememberModel, validateModel } from './modelPick';
import type { TrainingContext } from './trainingContext';
import { askTrainChoices, outputDirProblem, type TrainChoices } from './trainWizard';

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

/** `<medqa.runsDirectory>/<timestamp>-<preset>`; undefined when there is no runs folder. */
function defaultOutputDir(runs: RunsFeature, preset: PresetName): string | undefined {
  const dir = runs.runsDirectory();
  return dir ? path.join(dir, defaultRunName(new Date(), preset)) : undefined;
}

/** The choices the options make, checked as the wizard checks its answers. */
async function fromOptions(
  services: ExtensionServices,
  runs: RunsFeature,
  options: TrainCommandOptions,
): Promise<TrainChoices> {
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
  const outputDir = options.outputDir ?? defaultOutputDir(runs, preset);
  if (!outputDir) throw new Error('Open a workspace folder or set medqa.runsDirectory to an absolute path.');
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

/** Recent models are only those that loaded: the trainer reports `run_started` after loading the weights. */
function rememberWhenLoaded(
  { services, runs }: TrainingContext,
  runDir: string,
  model: string,
  exited: Promise<unknown>,
): void {
  const listener = runs.registry.onDidChange((changed) => {
    const run = changed.find((r) => r.dir === runDir);
    if (run && run.progress.totalSteps !== null) {
      listener.dispose();
      void rememberModel(services.context, model);
    }
  });
  void exited.finally(() => listener.dispose());
}

/** The run folder with its run.yaml, from which the trainer (or a terminal) trains; returns the config file. */
async function writeRunConfig(choices: TrainChoices): Promise<string> {
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
  return configFile;
}

/** What Train adapter and Submit to Slurm share: the Python, the user's choices, and run.yaml in the run folder. */
export interface PreparedRun {
  python: string;
  choices: TrainChoices;
  runDir: string;
  configFile: string;
}

/** The options or the wizard's answers, then run.yaml; undefined when the user backs out. */
export async function prepareRun(
  context: TrainingContext,
  options?: TrainCommandOptions,
): Promise<PreparedRun | undefined> {
  const { services, runs } = context;
  if (!services.requireTrust('Training')) return undefined;
  const reportTo = setting('training.reportTo');
  const trackers = withReportTo({}, reportTo).report_to as string[] | undefined;
  const python = await trainerPython(services, trainingNeeds(trackers ?? []));
  if (!python) return undefined;
  const choices = options
    ? await fromOptions(services, runs, options)
    : await askTrainChoices(
        services.context,
        services.workspaceRoot(),
        (preset) => defaultOutputDir(runs, preset),
        (name) => installModel(services, python, name),
      );
  if (!choices) return undefined;
  choices.overrides = withReportTo(choices.overrides, reportTo);
  if (choices.grounded && !choices.overrides.retrieval_index) {
    const index = await trainingSplitIndex(services, python, choices.exportFolder.trainFile);
    if (!index) return undefined;
    choices.overrides.retrieval_index = index;
  }
  return { python, choices, runDir: choices.outputDir, configFile: await writeRunConfig(choices) };
}

/** "Train adapter": the options or the wizard's answers, then run.yaml and the trainer; returns the run folder. */
export async function trainAdapter(
  context: TrainingContext,
  options?: TrainCommandOptions,
): Promise<string | undefined> {
  const prepared = await prepareRun(context, options);
  if (!prepared) return undefined;
  const { python, choices, runDir, configFile } = prepared;
  const { services, sessions } = context;
  const training = await sessions.launch(python, runDir, configFile);
  rememberWhenLoaded(context, runDir, choices.model, training.exited);
  services.log.info(
    `Training ${path.basename(runDir)}: ${choices.preset} on ${choices.exportFolder.dir} with ${choices.model}`,
  );
  return runDir;
}
