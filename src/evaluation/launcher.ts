import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { EventLog } from '../runs/eventLog';
import { ProcessStartError, spawnGroup, terminateGroup } from '../util/process';
import type { EvaluationSettings } from './evaluationFolder';

/** Defaults offered by "Evaluate Checkpoint": answers long enough for MedQuAD, batches that fit a laptop. */
export const DEFAULT_SETTINGS: EvaluationSettings = {
  maxNewTokens: 256,
  batchSize: 8,
  limit: null,
  evaluateBase: true,
  repetitionPenalty: 1,
};
/** How long a cancelled evaluator may take to finish its batch and write metrics before SIGKILL. */
export const CANCEL_GRACE_MS = 30_000;

export interface EvaluateInput {
  model: string;
  adapter?: string;
  data: string;
  out: string;
  maxNewTokens: number;
  batchSize: number;
  limit: number | null;
  repetitionPenalty?: number;
  events?: string;
}

/** `python <these>`: the evaluator's command line (contract #3) as an argument array, never a shell string. */
export function evaluateArgs(input: EvaluateInput): string[] {
  const args = ['-m', 'medqa_trainer', 'evaluate', '--model', input.model];
  if (input.adapter) args.push('--adapter', input.adapter);
  args.push('--data', input.data, '--out', input.out);
  args.push('--max-new-tokens', String(input.maxNewTokens), '--batch-size', String(input.batchSize));
  if (input.limit !== null) args.push('--limit', String(input.limit));
  if (input.repetitionPenalty !== undefined && input.repetitionPenalty !== 1)
    args.push('--repetition-penalty', String(input.repetitionPenalty));
  if (input.events) args.push('--events', input.events);
  return args;
}

export function compareArgs(baseDir: string, candidateDir: string, out: string): string[] {
  return ['-m', 'medqa_trainer', 'compare', '--base', baseDir, '--candidate', candidateDir, '--out', out];
}

/** What is wrong with the settings, in words; undefined when they are usable. */
export function settingsProblem(settings: Partial<EvaluationSettings>): string | undefined {
  const positive = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 1;
  if (settings.maxNewTokens !== undefined && !positive(settings.maxNewTokens))
    return 'Max new tokens must be a whole number of at least 1.';
  if (settings.batchSize !== undefined && !positive(settings.batchSize))
    return 'Batch size must be a whole number of at least 1.';
  if (settings.limit !== undefined && settings.limit !== null && !positive(settings.limit)) {
    return 'Limit must be a whole number of at least 1 (or empty for every example).';
  }
  const penalty = settings.repetitionPenalty;
  if (penalty !== undefined && !(typeof penalty === 'number' && penalty >= 1 && penalty <= 2))
    return 'Repetition penalty must be a number from 1 (off) to 2.';
  return undefined;
}

/** Parses a settings field typed by a person: whole numbers only; '' means "none" where allowed. */
export function parseWholeNumber(text: string, allowEmpty: boolean): number | null | undefined {
  const trimmed = text.trim().replace(/[_,\s]/g, '');
  if (!trimmed) return allowEmpty ? null : undefined;
  return /^\d+$/.test(trimmed) && Number(trimmed) >= 1 ? Number(trimmed) : undefined;
}

export interface StepOptions {
  python: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** The evaluator's events file, polled for `eval_progress`. */
  eventsFile?: string;
  signal?: AbortSignal;
  graceMs?: number;
  onProgress?: (done: number, total: number) => void;
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface StepResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  cancelled: boolean;
  /** The last lines of stderr: where the evaluator explains a failure. */
  stderrTail: string[];
}

function forwardLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    // Progress bars redraw with \r: keep each line's last state.
    for (const line of lines)
      if (line.trim()) onLine(line.slice(line.lastIndexOf('\r', line.length - 2) + 1).replace(/\r$/, ''));
  });
  stream.on('end', () => buffer.trim() && onLine(buffer));
}

/**
 * Runs one trainer command in its own process group. Cancelling sends SIGTERM to the group (the evaluator then
 * keeps what it generated and writes metrics for it), SIGKILL after `graceMs`.
 */
export function runTrainerStep(options: StepOptions): Promise<StepResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve({ code: null, signal: null, cancelled: true, stderrTail: [] });
      return;
    }
    let child: ChildProcess;
    try {
      child = spawnGroup(options.python, options.args, {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      reject(new ProcessStartError(options.python, error as NodeJS.ErrnoException));
      return;
    }
    const stderrTail: string[] = [];
    let cancelled = false;
    forwardLines(child.stdout, (line) => options.onOutput?.(line, 'stdout'));
    forwardLines(child.stderr, (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 60) stderrTail.shift();
      options.onOutput?.(line, 'stderr');
    });
    const log = options.eventsFile ? new EventLog(options.eventsFile) : undefined;
    let polling = Promise.resolve();
    const poll = () => {
      if (!log) return;
      polling = polling
        .then(async () => {
          for (const event of (await log.read()).events) {
            if (event.event === 'eval_progress') options.onProgress?.(event.done, event.total);
            if (event.event === 'eval_started') options.onProgress?.(0, event.total);
          }
        })
        .catch(() => undefined);
    };
    const timer = log ? setInterval(poll, 500) : undefined;
    const onAbort = () => {
      cancelled = true;
      void terminateGroup(child, options.graceMs ?? CANCEL_GRACE_MS);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (timer) clearInterval(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(new ProcessStartError(options.python, error));
    });
    child.once('close', (code, signal) => {
      if (timer) clearInterval(timer);
      options.signal?.removeEventListener('abort', onAbort);
      poll();
      void polling.then(() => resolve({ code, signal, cancelled, stderrTail }));
    });
  });
}

/** The evaluator's own explanation of a failure: from its last `error:` line to the end of stderr. */
export function failureText(result: StepResult): string {
  const tail = result.stderrTail;
  let start = -1;
  for (let i = tail.length - 1; i >= 0; i -= 1) {
    if (/^(error:|Traceback|\w*Error\b)/.test(tail[i])) {
      start = i;
      break;
    }
  }
  const lines = start >= 0 ? tail.slice(start) : tail.slice(-5);
  const why = result.signal ? `was killed (${result.signal})` : `exited with code ${result.code}`;
  return lines.length > 0 ? lines.join('\n').replace(/^error: /, '') : `the process ${why} without a message`;
}
