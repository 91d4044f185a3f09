import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseRunYaml } from '../../runs/runYaml';
import { knownRuns, type ArtifactIndex } from '../../artifacts/artifactIndex';
import type { RunRegistry } from '../../runs/registry';
import { isEvaluationFolder } from '../evaluationFolder';
import { needsFirst } from '../../util/prerequisite';
import { modeLabel } from '../retrievalSide';
import { folderOfArgument } from '../../vscode/menuArgument';

export interface CheckpointTarget {
  checkpoint: string;
  runDir: string;
  model?: string;
}

/** A checkpoint from what menus, the palette and tests pass: a Checkpoints tree element, a Uri, a path or options. */
export function checkpointOf(arg: unknown): CheckpointTarget | undefined {
  const fromPath = (checkpoint: string, runDir?: string, model?: unknown): CheckpointTarget => ({
    checkpoint: path.resolve(checkpoint),
    runDir: path.resolve(runDir ?? path.dirname(checkpoint)),
    ...(typeof model === 'string' && model ? { model } : {}),
  });
  if (typeof arg === 'string') return fromPath(arg);
  if (arg instanceof vscode.Uri) return fromPath(arg.fsPath);
  if (arg && typeof arg === 'object') {
    const record = arg as Record<string, unknown>;
    if (typeof record.checkpointPath === 'string') {
      return fromPath(
        record.checkpointPath,
        typeof record.runDir === 'string' ? record.runDir : undefined,
        record.baseModel,
      );
    }
    if (record.kind === 'checkpoint' && typeof record.path === 'string') {
      return fromPath(
        record.path,
        typeof record.runDir === 'string' ? record.runDir : undefined,
        record.model,
      );
    }
  }
  return undefined;
}

/** The run's config (resolved `config.yaml`, else `run.yaml`), or {} when neither is readable. */
export async function runConfig(runDir: string): Promise<Record<string, unknown>> {
  for (const name of ['config.yaml', 'run.yaml']) {
    try {
      return parseRunYaml(await fs.readFile(path.join(runDir, name), 'utf8'));
    } catch {
      // Try the next one.
    }
  }
  return {};
}

/** The base model an adapter belongs to: the run's `model_name_or_path`, else the adapter's own record of it. */
export async function baseModelOf(target: CheckpointTarget): Promise<string | undefined> {
  if (target.model) return target.model;
  const config = await runConfig(target.runDir);
  if (typeof config.model_name_or_path === 'string' && config.model_name_or_path)
    return config.model_name_or_path;
  try {
    const adapter = JSON.parse(
      await fs.readFile(path.join(target.checkpoint, 'adapter_config.json'), 'utf8'),
    ) as {
      base_model_name_or_path?: unknown;
    };
    if (typeof adapter.base_model_name_or_path === 'string') return adapter.base_model_name_or_path;
  } catch {
    // No usable adapter_config.json: the caller asks the user.
  }
  return undefined;
}

/** Palette use: every complete adapter of every run, newest run first, best checkpoints marked. */
export async function pickCheckpoint(
  registry: RunRegistry,
  title = 'Evaluate which checkpoint?',
): Promise<CheckpointTarget | undefined> {
  const items: (vscode.QuickPickItem & { target?: CheckpointTarget })[] = [];
  for (const run of await knownRuns(registry)) {
    const runDir = run.dir;
    const checkpoints = run.checkpoints.filter((c) => c.complete).reverse();
    if (checkpoints.length === 0) continue;
    items.push({ label: path.basename(runDir), kind: vscode.QuickPickItemKind.Separator });
    for (const c of checkpoints) {
      items.push({
        label: `${c.isBest ? '$(star-full)' : c.kind === 'final' ? '$(package)' : '$(save)'} ${c.kind === 'final' ? 'adapter (final)' : c.name}`,
        description: [
          c.step !== null ? `step ${c.step}` : '',
          c.evalLoss !== null ? `eval loss ${c.evalLoss.toFixed(4)}` : '',
          c.isBest ? 'best' : '',
        ]
          .filter(Boolean)
          .join(' · '),
        detail: c.path,
        target: { checkpoint: c.path, runDir },
      });
    }
  }
  if (items.length === 0) {
    throw needsFirst(
      'trainAdapter',
      'No finished checkpoints found in the runs directory. Train an adapter first.',
    );
  }
  const picked = await vscode.window.showQuickPick(items, { title, matchOnDetail: true });
  return picked?.target;
}

/** An evaluation folder from a string, a Uri or `{ evaluationDir }`; undefined when none was given. */
export function evaluationDirOf(arg: unknown): string | undefined {
  return folderOfArgument(arg, { field: 'evaluationDir' });
}

/** Lets the user choose among the evaluations the artefact index lists (optionally one run's only). */
export async function pickEvaluation(
  artifacts: ArtifactIndex,
  onlyRun?: string,
  title = 'Show which evaluation?',
): Promise<string | undefined> {
  const entries = onlyRun ? await artifacts.evaluationsOf(onlyRun) : await artifacts.evaluations();
  if (entries.length === 0) {
    throw needsFirst(
      'evaluateCheckpoint',
      onlyRun
        ? `The run ${path.basename(onlyRun)} has no evaluations yet. Evaluate one of its checkpoints first.`
        : 'No evaluations found. Evaluate a checkpoint first.',
    );
  }
  const picked = await vscode.window.showQuickPick(
    entries.map((entry) => ({
      label: `${entry.runName} · ${entry.name}`,
      description: [
        entry.record ? path.basename(entry.record.checkpoint) : '',
        entry.record && entry.record.status !== 'finished' ? entry.record.status : '',
        entry.record && !entry.record.settings.evaluateBase ? 'adapter only' : '',
        entry.record?.settings.rag ? modeLabel(entry.record.settings.rag) : '',
      ]
        .filter(Boolean)
        .join(' · '),
      detail: entry.record ? `test data: ${entry.record.testFile}` : entry.dir,
      dir: entry.dir,
    })),
    { title, matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.dir;
}

/** Checks a folder given by a caller; throws a message that says what is there instead. */
export function requireEvaluationFolder(dir: string): string {
  if (!existsSync(dir)) throw new Error(`The evaluation folder ${dir} does not exist.`);
  if (!isEvaluationFolder(dir)) {
    throw new Error(
      `${dir} is not an evaluation folder: it has no evaluation.json, comparison.json or base/ and adapter/ results.`,
    );
  }
  return dir;
}
