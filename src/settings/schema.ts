import manifest from '../../package.json';

/**
 * Every `medqa.*` setting with its type. The defaults are package.json's (the one place VS Code shows them in the
 * Settings editor); nothing else in the code repeats them. A unit test checks this list against package.json.
 */
export interface MedqaSettings {
  pythonPath: string;
  runsDirectory: string;
  tokenizerPath: string;
  maxLength: number;
  'split.seed': number;
  'split.ratios': string;
  'dedupe.threshold': number;
  'dataset.maxFileMegabytes': number;
  systemPrompt: string;
  'grading.grader': string;
  'playground.maxNewTokens': number;
  'playground.temperature': number;
  'playground.topP': number;
  'playground.seed': number;
  /** run.yaml `report_to`: none, tensorboard, mlflow or tensorboard,mlflow. */
  'training.reportTo': string;
  'slurm.partition': string;
  'slurm.account': string;
  'slurm.time': string;
  'slurm.nodes': number;
  'slurm.gpusPerNode': number;
  'slurm.cpusPerTask': number;
  'slurm.mem': string;
  /** More sbatch options, separated by spaces. */
  'slurm.extraArgs': string;
  /** The Python the job runs; empty: the one that submits. */
  'slurm.python': string;
  'slurm.pollSeconds': number;
}

export type SettingKey = keyof MedqaSettings;

export const SETTING_KEYS = [
  'pythonPath',
  'runsDirectory',
  'tokenizerPath',
  'maxLength',
  'split.seed',
  'split.ratios',
  'dedupe.threshold',
  'dataset.maxFileMegabytes',
  'systemPrompt',
  'grading.grader',
  'playground.maxNewTokens',
  'playground.temperature',
  'playground.topP',
  'playground.seed',
  'training.reportTo',
  'slurm.partition',
  'slurm.account',
  'slurm.time',
  'slurm.nodes',
  'slurm.gpusPerNode',
  'slurm.cpusPerTask',
  'slurm.mem',
  'slurm.extraArgs',
  'slurm.python',
  'slurm.pollSeconds',
] as const satisfies readonly SettingKey[];

// Fails to compile when a key of MedqaSettings is missing from SETTING_KEYS.
const everyKeyListed: Exclude<SettingKey, (typeof SETTING_KEYS)[number]> extends never ? true : never = true;
void everyKeyListed;

type Declared = Record<string, { default?: unknown }>;
const declared = manifest.contributes.configuration.properties as Declared;

export const SETTING_DEFAULTS = Object.fromEntries(
  SETTING_KEYS.map((key) => [key, declared[`medqa.${key}`]?.default]),
) as unknown as MedqaSettings;

/** A value from settings.json, or the default when it has the wrong type (settings.json is hand-edited). */
export function coerceSetting<K extends SettingKey>(key: K, raw: unknown): MedqaSettings[K] {
  const fallback = SETTING_DEFAULTS[key];
  if (typeof raw !== typeof fallback) return fallback;
  if (typeof raw === 'number' && !Number.isFinite(raw)) return fallback;
  return (typeof raw === 'string' ? raw.trim() : raw) as MedqaSettings[K];
}
