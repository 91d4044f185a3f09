/** Messages of the run dashboard panel (`runDashboard`); registered in webviewMessages.ts `PanelProtocols`. */
import type { RunStatus } from './runStatus';

export interface DashboardRun {
  dir: string;
  name: string;
  status: RunStatus;
  /** "step 40/60 · loss 1.23 · ETA 2m" */
  description: string;
  model: string | null;
  preset: string | null;
  /** "cpu · QLoRA · 4-bit NF4 base" or "cpu · LoRA · fp32 base" */
  device: string | null;
  /** The run's measured training speed (run_finished's tokens/s, else the logged steps' mean). */
  meanTokensPerSecond: number | null;
  startedAt: number | null;
  endedAt: number | null;
  step: number;
  totalSteps: number | null;
  etaSeconds: number | null;
  error: string | null;
  hasTraceback: boolean;
  bestCheckpoint: string | null;
  bestEvalLoss: number | null;
  /** Parallel arrays: one entry per logged step. */
  steps: { step: number[]; loss: number[]; learningRate: number[]; tokensPerSecond: (number | null)[] };
  evals: { step: number[]; evalLoss: number[]; perplexity: number[] };
  checkpoints: {
    name: string;
    step: number | null;
    evalLoss: number | null;
    isBest: boolean;
    complete: boolean;
  }[];
  /** The resolved config (run_started), else run.yaml, as sorted key/value text. */
  config: [string, string][];
  notices: { level: 'info' | 'warning'; code: string; message: string }[];
  /** A run submitted to Slurm: its job id and Slurm's word for its state (null until squeue/sacct answered). */
  slurm: { jobId: string; state: string | null } | null;
}

export interface RunDashboardState {
  run: DashboardRun | null;
  /** Every run, to switch between them. */
  runs: { dir: string; name: string; status: RunStatus }[];
}

export type RunDashboardRequest =
  | { type: 'selectRun'; dir: string }
  | { type: 'openConfig' }
  | { type: 'revealFolder' }
  | { type: 'openTraceback' }
  | { type: 'cancel' };

/** View-only state the app keeps with `setState` (restored after a reload). */
export interface RunDashboardUiState {
  logScale: boolean;
}
