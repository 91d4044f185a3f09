import { trainerArgs } from '../trainer/process';

/** What a Slurm job asks for (the medqa.slurm.* settings, or a caller's overrides); empty means the cluster's default. */
export interface SlurmResources {
  partition: string;
  account: string;
  time: string;
  nodes: number;
  gpusPerNode: number;
  cpusPerTask: number;
  mem: string;
  /** More sbatch options, one per item (e.g. `--qos=high`). */
  extraArgs: readonly string[];
  /** The Python the job runs on the compute nodes; empty: the one that submits. */
  python: string;
}

/** `python -m medqa_trainer submit --slurm <run.yaml> …` as an argument array (the trainer writes slurm.sbatch). */
export function submitArgs(
  configFile: string,
  resources: SlurmResources,
  options: { resume?: string } = {},
): string[] {
  const args = ['--slurm', configFile, '--nodes', String(resources.nodes)];
  args.push(
    '--gpus-per-node',
    String(resources.gpusPerNode),
    '--cpus-per-task',
    String(resources.cpusPerTask),
  );
  for (const [flag, value] of [
    ['--partition', resources.partition],
    ['--account', resources.account],
    ['--time', resources.time],
    ['--mem', resources.mem],
    ['--python', resources.python],
    ['--resume', options.resume ?? ''],
  ] as const) {
    if (value) args.push(flag, value);
  }
  // `=` keeps an option that starts with a dash from being read as one of submit's own flags.
  for (const extra of resources.extraArgs) args.push(`--sbatch-arg=${extra}`);
  return trainerArgs('submit', args);
}

/** A resources object from a caller (a test, a keybinding) checked field by field, over the settings' values. */
export function resourcesFrom(base: SlurmResources, overrides: unknown): SlurmResources {
  if (overrides === undefined) return base;
  if (typeof overrides !== 'object' || overrides === null)
    throw new Error('slurm must be an object of sbatch options.');
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in base))
      throw new Error(`Unknown Slurm option "${key}"; use ${Object.keys(base).join(', ')}.`);
    const expected = Array.isArray(base[key as keyof SlurmResources])
      ? 'array'
      : typeof base[key as keyof SlurmResources];
    const actual = Array.isArray(value) ? 'array' : typeof value;
    if (actual !== expected) throw new Error(`Slurm option "${key}" must be a ${expected}, not ${actual}.`);
    result[key] = value;
  }
  return result as unknown as SlurmResources;
}
