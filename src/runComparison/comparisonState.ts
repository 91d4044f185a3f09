/**
 * Builds the run comparison panel's state from the registry's runs (and each run's newest evaluation): the config
 * diff, the table's numbers, and the loss curves for the chosen x axis, smoothing and zoom range, decimated for
 * drawing. Pure: the view supplies the runs, the evaluations and the clock.
 */
import type {
  AxisOption,
  ComparedEvaluation,
  ComparedRun,
  ComparisonView,
  ComparisonXAxis,
  CurveData,
  RunComparisonState,
} from '../protocol/runComparison';
import type { RunInfo } from '../runs/registry';
import { diffConfigs } from './configDiff';
import { ema, medianInPlace, tokensSeen, tokensSeenUnavailable, valueAtStep } from './curves';
import { decimateIndices, DEFAULT_BUCKETS, rangeIndices } from './decimate';

/** The evaluation scores the table shows (fine-tuned side), in order. */
export const EVALUATION_METRICS: readonly string[] = ['f1', 'rouge_l'];

export const TOKENS_NOTE =
  'Tokens seen are estimated: the events log tokens/s, not a token count, so each interval adds tokens/s × the ' +
  'wall time since the previous logged step (evaluation pauses included, so the estimate runs slightly ahead).';

export const DEFAULT_VIEW: ComparisonView = { xAxis: 'step', smoothing: 0, range: null };

export interface ComparisonInput {
  /** The runs to compare, in the order chosen. */
  runs: readonly RunInfo[];
  /** Chosen runs the registry no longer has. */
  missing?: readonly string[];
  /** Run folder → its newest finished evaluation (absent or null: none). */
  evaluations?: ReadonlyMap<string, ComparedEvaluation | null>;
  view?: ComparisonView;
  /** Milliseconds since the epoch: a running run's training time counts up to now. */
  now: number;
  /** Buckets per curve for min/max decimation; 0 sends every point (the naive payload, for the benchmark). */
  buckets?: number;
}

/** One run's per-step arrays, computed once per state. */
interface RunSeries {
  run: RunInfo;
  step: Float64Array;
  loss: Float64Array;
  /** Median of the logged tokens/s. */
  tokensPerSecond: number | null;
  /** Why the tokens axis cannot be drawn for this run; null: it can. */
  tokensUnavailable: string | null;
}

function series(run: RunInfo): RunSeries {
  const { steps } = run.progress;
  const n = steps.length;
  const step = new Float64Array(n);
  const loss = new Float64Array(n);
  const rates = new Float64Array(n);
  let rated = 0;
  for (let i = 0; i < n; i++) {
    const point = steps[i];
    step[i] = point.step;
    loss[i] = point.loss;
    const rate = point.tokensPerSecond;
    if (rate !== null && Number.isFinite(rate)) rates[rated++] = rate;
  }
  return {
    run,
    step,
    loss,
    tokensPerSecond: medianInPlace(rates, rated),
    tokensUnavailable: tokensSeenUnavailable(steps),
  };
}

function axisOptions(all: readonly RunSeries[]): Record<ComparisonXAxis, AxisOption> {
  const logged = all.filter((s) => s.step.length > 0);
  const none = logged.length === 0 ? 'No run has logged a step yet.' : null;
  const failing = logged.flatMap((s) =>
    s.tokensUnavailable ? [`${s.run.displayName ?? s.run.name}: ${s.tokensUnavailable}`] : [],
  );
  const tokensReason =
    none ?? (failing.length > 0 ? `Tokens seen cannot be estimated (${failing.join('; ')}).` : null);
  return {
    step: { available: true, reason: null, note: null },
    epoch: { available: none === null, reason: none, note: null },
    tokens: { available: tokensReason === null, reason: tokensReason, note: TOKENS_NOTE },
  };
}

/** x of every logged step on the chosen axis. */
function stepAxis(s: RunSeries, axis: ComparisonXAxis): ArrayLike<number> {
  if (axis === 'tokens') {
    const seen = tokensSeen(s.run.progress.steps, s.run.progress.startedAt);
    if ('tokens' in seen) return seen.tokens;
  }
  if (axis === 'epoch') return Float64Array.from(s.run.progress.steps, (p) => p.epoch);
  return s.step;
}

/** Six significant digits: plenty to read a loss, and a third of the JSON of a full double. */
function round(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const scale = 10 ** (5 - Math.floor(Math.log10(Math.abs(value))));
  return Math.round(value * scale) / scale;
}
const roundX = (axis: ComparisonXAxis, value: number) =>
  axis === 'tokens' ? Math.round(value) : axis === 'epoch' ? Number(value.toFixed(4)) : value;

function pick(
  axis: ComparisonXAxis,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  indices: Iterable<number>,
): CurveData {
  const curve: CurveData = { x: [], y: [] };
  for (const i of indices) {
    curve.x.push(roundX(axis, x[i]));
    curve.y.push(round(y[i]));
  }
  return curve;
}

function* every(from: number, to: number): Iterable<number> {
  for (let i = from; i < to; i++) yield i;
}

function curvesOf(s: RunSeries, view: ComparisonView, buckets: number) {
  const axis = view.xAxis;
  const x = stepAxis(s, axis);
  const [from, to] = rangeIndices(x, view.range);
  const indices = (values: ArrayLike<number>) =>
    buckets > 0 ? decimateIndices(values, buckets, from, to) : every(from, to);
  const train = pick(axis, x, s.loss, indices(s.loss));
  let smoothed: CurveData | null = null;
  if (view.smoothing > 0) {
    const values = ema(s.loss, view.smoothing);
    smoothed = pick(axis, x, values, indices(values));
  }
  const evals = s.run.progress.evals;
  const evalX = evals.map((e) =>
    axis === 'step' ? e.step : (valueAtStep(s.step, x, e.step) ?? (axis === 'epoch' ? 0 : e.step)),
  );
  const evalY = evals.map((e) => e.evalLoss);
  const evalIndices = buckets > 0 ? decimateIndices(evalY, buckets) : every(0, evals.length);
  const validation = pick(axis, evalX, evalY, evalIndices);
  // Points that could be drawn in the range, to tell how many the decimation left out.
  const candidates = (to - from) * (smoothed ? 2 : 1) + evals.length;
  return { curves: { train, smoothed, validation }, candidates };
}

function bestEvalLoss(run: RunInfo): number | null {
  const reported = run.progress.bestEvalLoss;
  if (typeof reported === 'number' && Number.isFinite(reported)) return reported;
  let best: number | null = null;
  for (const e of run.progress.evals) if (best === null || e.evalLoss < best) best = e.evalLoss;
  return best;
}

function trainingSeconds(run: RunInfo, now: number): number | null {
  const { startedAt, endedAt, lastEventAt } = run.progress;
  if (startedAt === undefined) return null;
  const end = endedAt ?? (run.status === 'running' ? now : (lastEventAt ?? startedAt));
  return Math.max(0, (end - startedAt) / 1000);
}

export function buildComparisonState(input: ComparisonInput): RunComparisonState {
  const buckets = input.buckets ?? DEFAULT_BUCKETS;
  const all = input.runs.map(series);
  const axes = axisOptions(all);
  let view = input.view ?? DEFAULT_VIEW;
  if (!axes[view.xAxis].available) view = { ...view, xAxis: 'step', range: null };
  const diff = diffConfigs(input.runs.map((run) => run.progress.config));
  let shown = 0;
  let total = 0;
  const runs = all.map((s, index): ComparedRun => {
    const { run } = s;
    const { curves, candidates } = curvesOf(s, view, buckets);
    shown += curves.train.x.length + (curves.smoothed?.x.length ?? 0) + curves.validation.x.length;
    total += candidates;
    const steps = run.progress.steps;
    return {
      dir: run.dir,
      name: run.displayName ?? run.name,
      status: run.status,
      problem: run.problem ?? null,
      config: diff.values[index],
      hasConfig: run.progress.config !== undefined,
      bestEvalLoss: bestEvalLoss(run),
      trainingSeconds: trainingSeconds(run, input.now),
      tokensPerSecond: s.tokensPerSecond,
      loggedSteps: steps.length,
      lastStep: run.progress.finalStep ?? steps[steps.length - 1]?.step ?? 0,
      evaluation: input.evaluations?.get(run.dir) ?? null,
      curves,
    };
  });
  return {
    runs,
    missing: [...(input.missing ?? [])],
    configKeys: { all: diff.all, differing: diff.differing },
    evaluationMetrics: [...EVALUATION_METRICS],
    axes,
    view,
    points: { shown, total },
  };
}
