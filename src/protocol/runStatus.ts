/**
 * A run's state as every part of the extension names it (runs core, dashboard and run comparison panels).
 * `pending`: submitted to Slurm and waiting in its queue; `interrupted`: the trainer ended without a closing event;
 * `unknown`: an imported Hugging Face run whose trainer state has no end; `unreadable`: the run's files cannot be
 * read.
 */
export type RunStatus =
  'pending' | 'running' | 'finished' | 'failed' | 'cancelled' | 'interrupted' | 'unknown' | 'unreadable';
