import type {
  CheckpointEvent,
  NoticeEvent,
  RunStartedEvent,
  TrainerEvent,
  TrainingPhase,
} from '../protocol/trainer/events';
import type { RunStatus } from '../protocol/runStatus';

/** Defined in the protocol, where the dashboard and the run comparison name it too. */
export type { RunStatus };

export interface StepPoint {
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
  gradNorm: number | null;
  tokensPerSecond: number | null;
  /** Milliseconds since the epoch, from the event's `time`. */
  time: number;
}

export interface EvalPoint {
  step: number;
  evalLoss: number;
  perplexity: number;
  time: number;
}

export type TerminalEvent = 'run_finished' | 'run_failed' | 'run_cancelled';

/** Everything the views show about a run that comes from its events (status needs the process as well). */
export interface RunProgress {
  runId?: string;
  startedAt?: number;
  lastEventAt?: number;
  config?: Record<string, unknown>;
  environment?: RunStartedEvent['environment'];
  resumedFrom?: string | null;
  totalSteps: number | null;
  steps: StepPoint[];
  evals: EvalPoint[];
  /** Validation passes: when each started (its first progress event) and ended (its `eval`), for the ETA. */
  validations: { step: number; startedAt: number; endedAt?: number }[];
  /** The validation pass under way, in batches; undefined between passes. */
  validating?: { step: number; done: number; total: number };
  /** A cancel's checkpoint save is under way (the trainer said `saving-checkpoint`). */
  saving?: boolean;
  /** What the trainer said it is doing (its last `phase` event), and since when; cleared when the run ends. */
  phase?: { name: TrainingPhase; step: number | null; since: number };
  /** When (and at which step) the current segment began training: the pace of its first logged steps. */
  trainingStart?: { step: number; time: number };
  checkpoints: CheckpointEvent[];
  notices: NoticeEvent[];
  /** The terminal event after the last `run_started`, if any (a resumed run starts over). */
  terminal?: TerminalEvent;
  endedAt?: number;
  finalStep?: number;
  /** run_finished's tokens/s over the whole run (since its resume). */
  meanTokensPerSecond?: number | null;
  bestCheckpoint?: string | null;
  bestEvalLoss?: number | null;
  adapterPath?: string;
  stoppedEarly?: boolean;
  error?: string;
  tracebackPath?: string | null;
  cancelCheckpoint?: string | null;
}

export function emptyProgress(): RunProgress {
  return { totalSteps: null, steps: [], evals: [], validations: [], checkpoints: [], notices: [] };
}

function timeOf(event: TrainerEvent): number {
  const parsed = Date.parse(event.time);
  return Number.isNaN(parsed) ? 0 : parsed;
}

/** Drops points at or after `step`: a resumed run logs those steps again. */
function truncateFrom<T extends { step: number }>(points: T[], step: number): void {
  while (points.length > 0 && points[points.length - 1].step >= step) points.pop();
}

type EventOf<K extends TrainerEvent['event']> = Extract<TrainerEvent, { event: K }>;

/** Folds events into the progress (mutating it, so incremental reads stay cheap). Unknown kinds are ignored. */
export function applyEvents(progress: RunProgress, events: readonly TrainerEvent[]): RunProgress {
  for (const event of events) {
    const time = timeOf(event);
    progress.lastEventAt = time;
    applyEvent(progress, event, time);
  }
  return progress;
}

function applyEvent(progress: RunProgress, event: TrainerEvent, time: number): void {
  switch (event.event) {
    case 'run_started':
      startSegment(progress, event, time);
      break;
    case 'phase':
      progress.phase = { name: event.phase, step: event.step, since: time };
      if (event.phase === 'training' && !progress.trainingStart)
        progress.trainingStart = { step: event.step ?? 0, time };
      break;
    case 'notice':
      progress.notices.push(event);
      if (event.code === 'saving-checkpoint') progress.saving = true;
      break;
    case 'validation_progress': {
      const open = progress.validations.find((v) => v.step === event.step && v.endedAt === undefined);
      if (!open) progress.validations.push({ step: event.step, startedAt: time });
      progress.validating = { step: event.step, done: event.done, total: event.total };
      break;
    }
    case 'step':
      addStep(progress, event, time);
      break;
    case 'eval':
      addEval(progress, event, time);
      break;
    case 'checkpoint':
      progress.checkpoints = progress.checkpoints.filter((c) => c.step !== event.step);
      progress.checkpoints.push(event);
      break;
    case 'run_finished':
    case 'run_failed':
    case 'run_cancelled':
      endRun(progress, event, time);
      break;
    default:
      // eval_* events belong to evaluation runs; a training run ignores them.
      break;
  }
}

function startSegment(progress: RunProgress, event: EventOf<'run_started'>, time: number): void {
  progress.runId = event.run_id;
  progress.startedAt ??= time;
  progress.config = event.config;
  progress.environment = event.environment;
  progress.totalSteps = event.total_steps;
  progress.resumedFrom = event.resumed_from ?? null;
  // A resumed run starts over: what the previous segment's end recorded no longer holds.
  progress.terminal = undefined;
  progress.endedAt = undefined;
  progress.finalStep = undefined;
  progress.meanTokensPerSecond = undefined;
  progress.cancelCheckpoint = undefined;
  progress.error = undefined;
  progress.tracebackPath = undefined;
  progress.validating = undefined;
  progress.saving = undefined;
  // Not the phase: a resumed segment's tokenizing/loading_model comes before its run_started.
  progress.trainingStart = undefined;
}

function addStep(progress: RunProgress, event: EventOf<'step'>, time: number): void {
  truncateFrom(progress.steps, event.step);
  progress.steps.push({
    step: event.step,
    epoch: event.epoch,
    loss: event.loss,
    learningRate: event.learning_rate,
    gradNorm: event.grad_norm,
    tokensPerSecond: event.tokens_per_second,
    time,
  });
  if (typeof event.total_steps === 'number') progress.totalSteps = event.total_steps;
}

function addEval(progress: RunProgress, event: EventOf<'eval'>, time: number): void {
  progress.validating = undefined;
  const pass = progress.validations.find((v) => v.step === event.step && v.endedAt === undefined);
  if (pass) pass.endedAt = time;
  truncateFrom(progress.evals, event.step);
  progress.evals.push({ step: event.step, evalLoss: event.eval_loss, perplexity: event.perplexity, time });
}

function endRun(
  progress: RunProgress,
  event: EventOf<'run_finished' | 'run_failed' | 'run_cancelled'>,
  time: number,
): void {
  progress.phase = undefined;
  progress.terminal = event.event;
  progress.endedAt = time;
  if (event.event === 'run_finished') {
    progress.finalStep = event.step;
    progress.bestCheckpoint = event.best_checkpoint;
    progress.bestEvalLoss = event.best_eval_loss ?? null;
    progress.adapterPath = event.adapter_path;
    progress.stoppedEarly = event.stopped_early ?? false;
    progress.meanTokensPerSecond = event.tokens_per_second ?? null;
  } else if (event.event === 'run_failed') {
    progress.error = event.error;
    progress.tracebackPath = event.traceback_path;
  } else {
    progress.finalStep = event.step;
    progress.cancelCheckpoint = event.checkpoint;
  }
}

/**
 * Status from the last terminal event; without one, the process decides: alive → running,
 * gone (or never recorded) → interrupted, e.g. after SIGKILL or a closed machine.
 */
export function deriveStatus(terminal: TerminalEvent | undefined, processAlive: boolean): RunStatus {
  switch (terminal) {
    case 'run_finished':
      return 'finished';
    case 'run_failed':
      return 'failed';
    case 'run_cancelled':
      return 'cancelled';
    default:
      return processAlive ? 'running' : 'interrupted';
  }
}

export function latestStep(progress: RunProgress): StepPoint | undefined {
  return progress.steps[progress.steps.length - 1];
}

export function latestEval(progress: RunProgress): EvalPoint | undefined {
  return progress.evals[progress.evals.length - 1];
}

/**
 * The step the run has reached: the terminal event's when there is one, else the last logged step or the step of
 * the phase under way (validating or saving at a step between logging steps), whichever is later.
 */
export function currentStep(progress: RunProgress): number {
  return progress.finalStep ?? Math.max(latestStep(progress)?.step ?? 0, progress.phase?.step ?? 0);
}

/**
 * Seconds left: the remaining steps at the pace of the recent ones (the first steps include model loading and
 * warm-up, so only the last `window` logged steps count; validation time inside that stretch is taken out; with one
 * logged step, the pace since training began),
 * plus the validation passes still to come at the length of the finished ones, plus the rest of a pass under way.
 * Undefined until a first step is logged (and the total is known).
 */
export function estimateSecondsLeft(progress: RunProgress, window = 10): number | undefined {
  const total = progress.totalSteps;
  const start = progress.trainingStart;
  // Only this segment's steps: a resumed run's earlier steps are separated from it by the time it was stopped.
  const recent: { step: number; time: number }[] = progress.steps
    .filter((point) => !start || point.time >= start.time)
    .slice(-window);
  // Before a second logged step, the time from the start of training to the first one (its warm-up included).
  if (recent.length === 1 && start && recent[0].step > start.step) recent.unshift(start);
  if (!total || recent.length < 2) return undefined;
  const first = recent[0];
  const last = recent[recent.length - 1];
  const stepsDone = last.step - first.step;
  if (stepsDone <= 0 || last.time <= first.time) return undefined;
  const finished = progress.validations.filter((v) => v.endedAt !== undefined) as Required<
    RunProgress['validations'][number]
  >[];
  const validatingInside = finished
    .filter((v) => v.startedAt >= first.time && v.endedAt <= last.time)
    .reduce((sum, v) => sum + (v.endedAt - v.startedAt), 0);
  const secondsPerStep = Math.max(0, last.time - first.time - validatingInside) / 1000 / stepsDone;
  let seconds = (total - last.step) * secondsPerStep;
  const evalSteps = progress.config?.eval_steps;
  if (finished.length > 0 && typeof evalSteps === 'number' && evalSteps > 0) {
    const perPass = finished.reduce((sum, v) => sum + (v.endedAt - v.startedAt), 0) / finished.length / 1000;
    // transformers validates at every multiple of eval_steps (the last step too when it is one).
    const passesLeft = Math.floor(total / evalSteps) - Math.floor(last.step / evalSteps);
    seconds += Math.max(0, passesLeft) * perPass;
    const current = progress.validating;
    if (current && current.total > 0) seconds += perPass * (1 - current.done / current.total);
  }
  return Math.max(0, seconds);
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${Math.round(seconds % 60)}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

export function formatLoss(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const size = Math.abs(value);
  if (size >= 100) return value.toFixed(0);
  return size >= 0.1 || size === 0 ? value.toFixed(2) : value.toPrecision(2);
}

const PHASE_TEXT: Readonly<Record<TrainingPhase, string>> = {
  tokenizing: 'tokenizing…',
  loading_model: 'loading the model…',
  training: 'training',
  validating: 'validating…',
  saving: 'saving…',
};

/**
 * What a running run is doing, for the status bar and the dashboard: "loading the model…", "tokenizing…",
 * "saving…"; undefined while it trains or validates (the step and the validation progress say that).
 */
export function phaseText(progress: RunProgress): string | undefined {
  const phase = progress.phase?.name;
  if (!phase || phase === 'training' || (phase === 'validating' && progress.validating)) return undefined;
  return PHASE_TEXT[phase];
}

/** "loss 2.58", or "loss 2.58 @ step 10" when the run has moved past the step that loss belongs to. */
export function lossText(progress: RunProgress, prefix = 'loss '): string | undefined {
  const last = progress.steps[progress.steps.length - 1];
  if (!last) return undefined;
  const at = last.step !== currentStep(progress) ? ` @ step ${last.step}` : '';
  return `${prefix}${formatLoss(last.loss)}${at}`;
}
