/** Messages of the Metrics panel (`metrics`); registered in webviewMessages.ts `PanelProtocols`. Types only. */

/** The two evaluations of one "Evaluate Checkpoint": the base model alone and base + adapter. */
export type EvaluationSide = 'base' | 'adapter';

/** A metric's point value and its 95% bootstrap interval (either may be null: too few examples, or not computed). */
export interface MetricValue {
  value: number | null;
  ci: [number | null, number | null];
}

/** One metric, base vs fine-tuned; a side is null when it was not evaluated (or its file is unreadable). */
export interface ComparisonRow {
  metric: string;
  base: MetricValue | null;
  adapter: MetricValue | null;
  /** adapter − base, in the metric's own unit. */
  absoluteChange: number | null;
  /** (adapter − base) / base; null when base is 0 or missing. */
  relativeChange: number | null;
  /** Paired-bootstrap interval of the change (comparison.json only). */
  changeCi: [number | null, number | null] | null;
  pValue: number | null;
  /** From the paired test at 5%; null when there is no test. */
  verdict: 'better' | 'worse' | 'no-difference' | null;
  /** Retrieval-only: the top-1 retrieved training answer as the prediction (absent without a retrieval side). */
  retrieval?: MetricValue | null;
  /** Fine-tuned vs retrieval-only (adapter − retrieval), paired when versus-retrieval/comparison.json exists. */
  versusRetrieval?: RetrievalChange | null;
}

/** Does the generator beat returning the nearest trusted answer? */
export interface RetrievalChange {
  change: number | null;
  changeCi: [number | null, number | null] | null;
  pValue: number | null;
  verdict: 'better' | 'worse' | 'no-difference' | null;
}

/** The retrieval side of an evaluation (issue 18). */
export interface RetrievalSummary {
  side: SideInfo | null;
  /** The index the baseline (and a RAG evaluation) used. */
  index: string | null;
  /** True when fine-tuned vs retrieval-only is paired (versus-retrieval/comparison.json). */
  paired: boolean;
  n: number | null;
  /** Why there is no retrieval column (the trainer's message), when its stage failed. */
  error: string | null;
}

export interface QtypeRows {
  qtype: string;
  /** Examples of this qtype (compared pairs when paired, else the larger side). */
  n: number;
  rows: Record<string, ComparisonRow>;
}

export interface HygieneFlag {
  name: string;
  /** null: unknown (e.g. truncation of a scored file). */
  count: number | null;
  examples: string[];
  note?: string;
}

export interface HygieneSummary {
  side: EvaluationSide;
  checked: number;
  flagged: number;
  flags: HygieneFlag[];
}

export interface SideInfo {
  n: number;
  total: number | null;
  cancelled: boolean;
  model: string | null;
  adapter: string | null;
  /** "greedy · max 256 new tokens" */
  decoding: string | null;
  device: string | null;
  seconds: number | null;
  predictionsFile: string | null;
}

export type EvaluationStatus = 'running' | 'finished' | 'cancelled' | 'failed' | 'unknown';

export interface EvaluationSummary {
  dir: string;
  /** "<run> · <folder>" */
  title: string;
  runName: string | null;
  checkpoint: string | null;
  baseModel: string | null;
  testFile: string | null;
  createdAt: string | null;
  status: EvaluationStatus;
  /** "closed-book" or "RAG k=3" (both models generated with the top-k retrieved sources). */
  mode?: string;
  sides: Record<EvaluationSide, SideInfo | null>;
  /** Absent or null in evaluations without a retrieval side (older ones, or no training data known). */
  retrieval?: RetrievalSummary | null;
  /** True when the table comes from comparison.json (paired test on the same examples). */
  paired: boolean;
  /** Examples compared (paired) or evaluated. */
  n: number | null;
  /** Metric names in display order. */
  metrics: string[];
  overall: ComparisonRow[];
  byQtype: QtypeRows[];
  hygiene: HygieneSummary[];
  /** Things to know that are not errors: a cancelled side, examples only on one side, different decoding. */
  notes: string[];
  /** Problems reading the files, each naming the file and line. */
  problems: string[];
}

export interface EvaluationListItem {
  dir: string;
  label: string;
  description: string;
}

/** Human grades of one model's answers (LiveQA-Med 1–4), pooled over graders. */
export interface SideGrades {
  side: EvaluationSide;
  /** Answers with at least one grade. */
  graded: number;
  /** Mean grade over answers (each answer's grade averaged over its graders), with a bootstrap 95% interval. */
  mean: MetricValue;
  /** How many grades were 1, 2, 3 and 4 (every grader's). */
  distribution: [number, number, number, number];
  /** Flag → grades carrying it. */
  flags: Record<string, number>;
}

export interface GraderAgreement {
  method: 'cohen-quadratic' | 'fleiss';
  graders: string[];
  /** Answers every one of these graders graded. */
  n: number;
  kappa: number | null;
}

/** The grade summary the Metrics panel shows beside the automatic metrics. */
export interface GradeSummary {
  graders: string[];
  sides: SideGrades[];
  /** Blind A/B: how often the fine-tuned answer was preferred (ties count half), with a 95% interval. */
  preference: { n: number; adapter: number; base: number; ties: number; rate: MetricValue } | null;
  agreement: GraderAgreement[];
  /** Spearman correlation of the mean grade with token F1 over graded answers. */
  correlation: { n: number; spearman: number | null } | null;
  /** Grades given to an earlier text of an answer that has changed since (not counted above). */
  stale: number;
  problems: string[];
}

export interface MetricsPanelState {
  evaluation: EvaluationSummary | null;
  /** null: nobody has graded this evaluation's answers yet. */
  grades: GradeSummary | null;
  evaluations: EvaluationListItem[];
  /** The view state the app last reported, for an app whose own saved state was lost (see MetricsPanelUiState). */
  ui: MetricsPanelUiState | null;
}

export type MetricsPanelRequest =
  /** Sent after `ready` by an app restored from its saved state: show the folder it showed before. */
  | { type: 'restore'; dir: string }
  | { type: 'selectEvaluation'; dir: string }
  | { type: 'export'; format: 'csv' | 'markdown' }
  | { type: 'openPredictions'; side: EvaluationSide }
  | { type: 'openPrediction'; side: EvaluationSide; id: string }
  | { type: 'revealFolder' }
  | { type: 'grade' }
  | { type: 'exportGrades'; format: 'csv' | 'markdown' }
  /** The app's view state, mirrored on the host: a browser workbench may drop webview state on reload. */
  | { type: 'saveUi'; ui: MetricsPanelUiState };

export interface MetricsSort {
  column: string;
  descending: boolean;
}

/** View-only state the app keeps with `setState` (restored after a reload, with the folder it shows). */
export interface MetricsPanelUiState {
  evaluationDir?: string;
  sort?: MetricsSort;
  qtypeMetric?: string;
  /** When the user last changed it (Date.now()): the newer of the app's and the host's copy wins. */
  savedAt?: number;
}
