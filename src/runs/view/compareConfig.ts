import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { ExtensionServices } from '../../vscode/services';
import type { RunInfo, RunRegistry } from '../registry';
import { isReadOnlyRun, runLabel, STATUS_LABELS } from './runItems';
import { requireRun } from './runPicker';
import { runDirOf } from './runsFeature';

/** The run config a diff shows: the trainer's resolved config.yaml, else the run.yaml we wrote. */
function configFileOf(run: RunInfo): string | undefined {
  return run.files.resolvedConfig ?? run.files.runConfig;
}

/** The other run: the one passed, else the user's pick among the runs with a config. */
async function otherRun(registry: RunRegistry, run: RunInfo, other: unknown): Promise<RunInfo | undefined> {
  const otherDir = runDirOf(other);
  if (otherDir) {
    const target = registry.get(otherDir);
    if (!target || !configFileOf(target)) throw new Error(`${otherDir} is not a run with a config.`);
    return target;
  }
  const candidates = registry.list().filter((r) => r.dir !== run.dir && configFileOf(r));
  if (candidates.length === 0) throw new Error('No other run with a config.yaml to compare with.');
  const picked = await vscode.window.showQuickPick(
    candidates.map((r) => ({
      label: runLabel(r),
      description: [STATUS_LABELS[r.status], ...(r.tags ?? []).map((t) => `#${t}`)].join(' '),
      detail: r.dir,
      run: r,
    })),
    { placeHolder: `Compare the config of ${runLabel(run)} with…`, matchOnDetail: true },
  );
  return picked?.run;
}

/** Compare Config: a read-only diff of two runs' configs. */
export function registerCompareConfig(services: ExtensionServices, registry: RunRegistry): void {
  services.registerCommand(Commands.runsCompareConfig, async (arg?: unknown, other?: unknown) => {
    const run = await requireRun(registry, arg);
    if (!run) return undefined;
    const file = configFileOf(run);
    if (!file) {
      throw new Error(
        isReadOnlyRun(run)
          ? `${runLabel(run)} is an imported Hugging Face run: its settings are in training_args.bin, not in a config.yaml.`
          : `${runLabel(run)} has no config.yaml or run.yaml yet.`,
      );
    }
    const target = await otherRun(registry, run, other);
    if (!target) return undefined;
    const title = `${runLabel(run)} ↔ ${runLabel(target)} (run config)`;
    await vscode.commands.executeCommand(
      'vscode.diff',
      vscode.Uri.file(file),
      vscode.Uri.file(configFileOf(target) as string),
      title,
      { preview: false } satisfies vscode.TextDocumentShowOptions,
    );
    // A run's config is a record of what ran: keep the diff from editing it by accident.
    await vscode.commands
      .executeCommand('workbench.action.files.setActiveEditorReadonlyInSession')
      .then(undefined, () => undefined);
    return title;
  });
}
