/**
 * Messages of the run comparison panel (`runComparison`); registered in webviewMessages.ts `PanelProtocols`.
 * Types only. The host keeps every logged point; the state carries curves decimated for drawing.
 */
import type { RunStatus } from './runStatus';
import type { MetricValue } from './metricsPanel';

/** What the chart's x axis counts. */
export type ComparisonXAxis = 'step' | 'epoch' | 'tokens';

/** One curve as parallel arrays, ready to draw. */
export interface CurveData {
  x: number[];
  y: number[];
}

export interface ComparisonCurves {
  /** Train loss per logged step (min/max-decimated when long). */
  train: CurveData;
  /** The train loss smoothed (EMA over every logged step, then decimated); null when smoothing is 0. */
  smoothed: CurveData | null;
  /** Validation loss per evaluation. */
  validation: CurveData;
}

/** The newest finished evaluation of a run: the fine-tuned side's scores with their 95% intervals. */
export interface ComparedEvaluation {
  dir: string;
  name: string;
  /** Metric name (`f1`, `rouge_l`) → value; null when that evaluation lacks the metric. */
  metrics: Record<string, MetricValue | null>;
}

export interface ComparedRun {
  dir: string;
  /** The name the views show (the user's, else the folder's). */
  name: string;
  status: RunStatus;
  /** Why the run's files cannot be read (status `unreadable`). */
  problem: string | null;
  /** The config from `run_started`, flattened to dotted keys, as display text; a key the run lacks is absent. */
  config: Record<string, string>;
  /** False while the trainer has not reported its config. */
  hasConfig: boolean;
  bestEvalLoss: number | null;
  /** From the start to the end of training (to now while it runs). */
  trainingSeconds: number | null;
  /** Median of the logged tokens/s. */
  tokensPerSecond: number | null;
  /** Logged steps, and the last step reached. */
  loggedSteps: number;
  lastStep: number;
  evaluation: ComparedEvaluation | null;
  curves: ComparisonCurves;
}

export interface AxisOption {
  available: boolean;
  /** Why the axis cannot be used (shown on the disabled option). */
  reason: string | null;
  /** What to know when using it (the tokens estimate). */
  note: string | null;
}

/** What the chart shows; the host computes the curves for it. `range` is the zoomed x interval, null: all. */
export interface ComparisonView {
  xAxis: ComparisonXAxis;
  smoothing: number;
  range: [number, number] | null;
}

export interface ComparisonSort {
  /** `name`, `status`, `bestEvalLoss`, `trainingSeconds`, `tokensPerSecond`, `config:<key>` or `metric:<name>`. */
  column: string;
  descending: boolean;
}

export interface RunComparisonState {
  /** The compared runs, in the order they were chosen (that order gives their colours). */
  runs: ComparedRun[];
  /** Chosen runs that no longer exist (their folder was deleted). */
  missing: string[];
  configKeys: { all: string[]; differing: string[] };
  /** Evaluation metrics the table shows, in order. */
  evaluationMetrics: string[];
  axes: Record<ComparisonXAxis, AxisOption>;
  view: ComparisonView;
  /** Points drawn, and the logged points they stand for (inside the zoomed range), over every curve. */
  points: { shown: number; total: number };
}

export type RunComparisonRequest =
  | { type: 'setView'; view: ComparisonView }
  | { type: 'export'; format: 'csv' | 'markdown'; allFields: boolean; sort: ComparisonSort | null }
  | { type: 'addRuns' }
  | { type: 'removeRun'; dir: string }
  | { type: 'openDashboard'; dir: string };

/** View-only state the app keeps with `setState` (restored after a reload). */
export interface RunComparisonUiState {
  logScale: boolean;
  showAllFields: boolean;
  sort: ComparisonSort | null;
}
