/**
 * Types of the JSON lines that `medqa_trainer` writes to `<run>/events.jsonl`.
 * The contract is trainer/medqa_trainer/schema/events.schema.json (see docs/protocol.md);
 * test/unit/protocol.test.ts checks that these types and the schema name the same events and fields.
 */
export const TRAINER_PROTOCOL_VERSION = 1;

interface Base {
  v: typeof TRAINER_PROTOCOL_VERSION;
  time: string;
}

export interface RunStartedEvent extends Base {
  event: 'run_started';
  run_id: string;
  output_dir: string;
  config: Record<string, unknown>;
  environment: {
    python: string;
    torch: string;
    transformers?: string;
    peft?: string;
    trl?: string;
    device: string;
    qlora: boolean;
    world_size?: number;
  };
  total_steps: number | null;
  resumed_from?: string | null;
}

export interface NoticeEvent extends Base {
  event: 'notice';
  level: 'info' | 'warning';
  code: string;
  message: string;
}

export interface StepEvent extends Base {
  event: 'step';
  step: number;
  total_steps?: number | null;
  epoch: number;
  loss: number;
  learning_rate: number;
  grad_norm: number | null;
  tokens_per_second: number | null;
}

export interface EvalEvent extends Base {
  event: 'eval';
  step: number;
  epoch?: number;
  eval_loss: number;
  perplexity: number;
}

export interface CheckpointEvent extends Base {
  event: 'checkpoint';
  step: number;
  path: string;
  eval_loss: number | null;
  is_best: boolean;
}

export interface RunFinishedEvent extends Base {
  event: 'run_finished';
  step: number;
  best_checkpoint: string | null;
  best_eval_loss?: number | null;
  adapter_path: string;
  stopped_early?: boolean;
}

export interface RunFailedEvent extends Base {
  event: 'run_failed';
  error: string;
  traceback_path: string | null;
}

export interface RunCancelledEvent extends Base {
  event: 'run_cancelled';
  step: number;
  checkpoint: string | null;
}

export interface EvalStartedEvent extends Base {
  event: 'eval_started';
  model: string;
  adapter: string | null;
  total: number;
  decoding?: Record<string, unknown>;
}

export interface EvalProgressEvent extends Base {
  event: 'eval_progress';
  done: number;
  total: number;
}

export interface EvalFinishedEvent extends Base {
  event: 'eval_finished';
  n: number;
  metrics_path: string;
  predictions_path: string;
  cancelled?: boolean;
}

/** Training only: how far the validation pass at `step` is, in batches (at most once a second). */
export interface ValidationProgressEvent extends Base {
  event: 'validation_progress';
  step: number;
  done: number;
  total: number;
}

/** What a training run is doing, in the order of a normal run (validating and saving come and go). */
export const TRAINING_PHASES = ['tokenizing', 'loading_model', 'training', 'validating', 'saving'] as const;
export type TrainingPhase = (typeof TRAINING_PHASES)[number];

/** Training only: the run's phase changed; `step` is the optimizer step it is at (null before training). */
export interface PhaseEvent extends Base {
  event: 'phase';
  phase: TrainingPhase;
  step: number | null;
}

export type TrainerEvent =
  | RunStartedEvent
  | NoticeEvent
  | StepEvent
  | EvalEvent
  | CheckpointEvent
  | RunFinishedEvent
  | RunFailedEvent
  | RunCancelledEvent
  | EvalStartedEvent
  | EvalProgressEvent
  | EvalFinishedEvent
  | ValidationProgressEvent
  | PhaseEvent;

export type TrainerEventName = TrainerEvent['event'];

/** Every event name, for the schema check and for readers that validate lines. */
export const TRAINER_EVENT_NAMES: readonly TrainerEventName[] = [
  'run_started',
  'notice',
  'step',
  'eval',
  'checkpoint',
  'run_finished',
  'run_failed',
  'run_cancelled',
  'eval_started',
  'eval_progress',
  'eval_finished',
  'validation_progress',
  'phase',
];
