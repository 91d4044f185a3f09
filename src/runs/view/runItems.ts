import * as path from 'node:path';
import type { RunInfo } from '../registry';
import { tagText } from '../runMeta';
import type { RunSlurmJob } from '../slurmRun';
import {
  currentStep,
  estimateSecondsLeft,
  formatDuration,
  formatLoss,
  latestEval,
  latestStep,
  lossText,
  phaseText,
  type RunStatus,
} from '../runState';
import { throughputText, trainingModeText } from '../trainingMode';

/** Plain-text presentation of a run shared by the trees, the status bar and the dashboard (no vscode here). */

export const STATUS_LABELS: Readonly<Record<RunStatus, string>> = {
  pending: 'pending',
  running: 'running',
  finished: 'finished',
  failed: 'failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  unknown: 'status unknown',
  unreadable: 'unreadable',
};

/** Codicon and theme colour per status. */
export const STATUS_ICONS: Readonly<Record<RunStatus, { id: string; color: string }>> = {
  pending: { id: 'watch', color: 'charts.yellow' },
  running: { id: 'sync~spin', color: 'charts.blue' },
  finished: { id: 'pass-filled', color: 'testing.iconPassed' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  cancelled: { id: 'circle-slash', color: 'disabledForeground' },
  interrupted: { id: 'debug-disconnect', color: 'list.warningForeground' },
  unknown: { id: 'question', color: 'disabledForeground' },
  unreadable: { id: 'warning', color: 'list.warningForeground' },
};

export function stepText(run: RunInfo): string {
  const total = run.progress.totalSteps;
  return `step ${currentStep(run.progress)}${total ? `/${total}` : ''}`;
}

/** What the views call a run: the name the user gave it, else its folder name. */
export function runLabel(run: RunInfo): string {
  return run.displayName ?? run.name;
}

/** Imported Hugging Face runs: shown, evaluated and compared, never trained, cancelled or deleted from here. */
export function isReadOnlyRun(run: RunInfo): boolean {
  return run.source === 'huggingface';
}

/**
 * "step 40/60 · loss 1.23" while running; finished runs say so and add the best eval loss. Imported runs start
 * with "imported · read-only"; the user's tags come last.
 */
export function runDescription(run: RunInfo): string {
  const parts: string[] = [];
  if (isReadOnlyRun(run)) parts.push('imported · read-only');
  if (run.slurm) parts.push(`Slurm job ${run.slurm.jobId}`);
  if (run.status === 'pending' && run.slurm?.reason) parts.push(`pending (${run.slurm.reason})`);
  else if (run.status !== 'running') parts.push(STATUS_LABELS[run.status]);
  const phase = run.status === 'running' ? phaseText(run.progress) : undefined;
  if (run.progress.steps.length > 0 || run.progress.finalStep !== undefined || run.progress.totalSteps) {
    parts.push(stepText(run));
  } else if (run.status === 'running' && !phase) {
    parts.push('starting…');
  }
  const loss = lossText(run.progress);
  if (loss) parts.push(loss);
  if (run.status === 'running' && run.progress.saving) parts.push('saving checkpoint…');
  else if (run.status === 'running' && run.progress.validating)
    parts.push(`validating ${run.progress.validating.done}/${run.progress.validating.total}`);
  else if (phase) parts.push(phase);
  if (run.status === 'running') {
    const left = estimateSecondsLeft(run.progress);
    if (left !== undefined) parts.push(`ETA ${formatDuration(left)}`);
  }
  if (run.status === 'finished' && run.progress.bestEvalLoss != null)
    parts.push(`best eval ${formatLoss(run.progress.bestEvalLoss)}`);
  if (run.tags?.length) parts.push(tagText(run.tags));
  return parts.join(' · ');
}

/**
 * The best checkpoint as the views name it, with its eval loss: the one marked best on disk, and when that is the
 * final adapter, which checkpoint's weights it holds. A finished run whose best folder is gone still names it, so
 * the "best eval" of the description never sits beside an empty Best.
 */
export function bestCheckpointText(run: RunInfo): { name: string; evalLoss: number | null } | undefined {
  const p = run.progress;
  const best = run.checkpoints.find((c) => c.isBest);
  const recorded = p.bestCheckpoint ? path.basename(p.bestCheckpoint) : undefined;
  if (best) {
    const name =
      best.kind === 'final' && recorded && recorded !== best.name
        ? `${best.name} (weights of ${recorded})`
        : best.name;
    return { name, evalLoss: best.evalLoss ?? p.bestEvalLoss ?? null };
  }
  if (recorded) return { name: `${recorded} (folder not kept)`, evalLoss: p.bestEvalLoss ?? null };
  return undefined;
}

export function configValue(run: RunInfo, key: string): unknown {
  return run.progress.config?.[key];
}

export function modelName(run: RunInfo): string | undefined {
  const model = configValue(run, 'model_name_or_path');
  return typeof model === 'string' ? model : undefined;
}

export interface Fact {
  key: string;
  label: string;
  value: string;
  tooltip?: string;
  /** A file the fact points at (opened on click). */
  file?: string;
}

function shortPath(file: string): string {
  const parts = file.split(path.sep).filter(Boolean);
  return parts.length > 2 ? `…${path.sep}${parts.slice(-2).join(path.sep)}` : file;
}

function time(ms: number | undefined): string | undefined {
  return ms ? new Date(ms).toLocaleString() : undefined;
}

/** A Slurm run's job: its id and Slurm's word for its state; a click opens the job's output file. */
function slurmFact(job: RunSlurmJob): Fact {
  const value = `${job.jobId} · ${job.slurmState ?? 'state not known yet'}`;
  return {
    key: 'slurm',
    label: 'Slurm job',
    value,
    tooltip: `Output: ${job.outputFile}`,
    file: job.outputFile,
  };
}

/** The key facts shown as a run's children in the Runs view. */
export function runFacts(run: RunInfo, now = Date.now()): Fact[] {
  const p = run.progress;
  const facts: Fact[] = [];
  const add = (key: string, label: string, value: string | undefined, extra: Partial<Fact> = {}) => {
    if (value) facts.push({ key, label, value, ...extra });
  };
  if (run.problem) add('problem', 'Unreadable', run.problem, { tooltip: run.problem });
  if (p.error) add('error', 'Error', p.error, { tooltip: p.error, file: p.tracebackPath ?? undefined });
  if (run.slurm) facts.push(slurmFact(run.slurm));
  if (isReadOnlyRun(run))
    add('source', 'Source', 'Hugging Face Trainer · imported, read-only', {
      tooltip: `Read from ${run.files.trainerState ? 'trainer_state.json' : 'its TensorBoard logs (no trainer_state.json)'}; nothing is copied and nothing is written into this folder.`,
      file: run.files.trainerState,
    });
  if (run.tags?.length) add('tags', 'Tags', tagText(run.tags));
  if (run.displayName) add('folderName', 'Folder name', run.name);
  const model = modelName(run);
  add('model', 'Model', model && (path.isAbsolute(model) ? shortPath(model) : model), { tooltip: model });
  const preset = configValue(run, 'preset');
  add('preset', 'Preset', typeof preset === 'string' ? preset : undefined);
  const manifest = configValue(run, 'dataset_manifest');
  const trainFile = configValue(run, 'train_file');
  const dataset =
    typeof manifest === 'string'
      ? path.dirname(manifest)
      : typeof trainFile === 'string'
        ? path.dirname(trainFile)
        : undefined;
  add('dataset', 'Dataset', dataset && shortPath(dataset), { tooltip: dataset });
  if (p.environment) add('device', 'Device', `${p.environment.device} · ${trainingModeText(p.environment)}`);
  const last = latestStep(p);
  if (p.totalSteps || last) {
    add('progress', 'Progress', `${stepText(run)}${last ? ` · epoch ${last.epoch.toFixed(2)}` : ''}`);
  }
  add('loss', 'Train loss', lossText(p, ''));
  const evalPoint = latestEval(p);
  if (evalPoint)
    add(
      'evalLoss',
      'Eval loss',
      `${formatLoss(evalPoint.evalLoss)} (perplexity ${evalPoint.perplexity.toFixed(2)})`,
    );
  const best = bestCheckpointText(run);
  if (best)
    add(
      'best',
      'Best checkpoint',
      `${best.name}${best.evalLoss !== null ? ` · eval ${formatLoss(best.evalLoss)}` : ''}`,
      { tooltip: run.checkpoints.find((c) => c.isBest)?.path ?? p.bestCheckpoint ?? undefined },
    );
  add('throughput', 'Tokens/s', throughputText(p));
  add('started', 'Started', time(p.startedAt));
  if (p.startedAt) {
    const end = run.status === 'running' ? now : (p.endedAt ?? p.lastEventAt ?? now);
    add(
      'duration',
      run.status === 'running' ? 'Elapsed' : 'Duration',
      formatDuration(Math.max(0, (end - p.startedAt) / 1000)),
    );
  }
  if (run.status === 'running') {
    const left = estimateSecondsLeft(p);
    if (left !== undefined) add('eta', 'Time left', formatDuration(left));
  }
  if (p.stoppedEarly) add('stoppedEarly', 'Stopped early', 'eval loss stopped improving');
  for (const [index, notice] of p.notices.filter((n) => n.level === 'warning').entries()) {
    add(`notice${index}`, 'Warning', notice.message, { tooltip: `${notice.code}: ${notice.message}` });
  }
  if (run.skippedLines > 0) add('skipped', 'Unreadable event lines', String(run.skippedLines));
  add('folder', 'Folder', shortPath(run.dir), { tooltip: run.dir });
  return facts;
}

/** Markdown-free tooltip for a run item. */
export function runTooltip(run: RunInfo): string {
  return [
    `${runLabel(run)} — ${STATUS_LABELS[run.status]}`,
    ...runFacts(run).map((f) => `${f.label}: ${f.tooltip ?? f.value}`),
  ].join('\n');
}
