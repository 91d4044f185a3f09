import type { RunInfo } from './registry';

/** What the Checkpoints view shows: one run's checkpoints under its heading, or every run's with no heading. */
export interface CheckpointsScope {
  runDir: string | undefined;
  heading: string | undefined;
}

interface RunSource {
  get(dir: string): RunInfo | undefined;
  onDidChange(listener: (changed: readonly RunInfo[]) => void): { dispose(): void };
}

/**
 * The run the Checkpoints view is about. The view's heading and its items are both read from `scope()` and both
 * follow `onDidChange`, which fires on a new selection as well as on registry changes: the heading once followed
 * only the registry, so selecting another run listed its checkpoints under the previous run's name until the next
 * event of any run arrived. (No vscode import.)
 */
export class CheckpointsSelection {
  private selected: string | undefined;
  private readonly listeners = new Set<(scope: CheckpointsScope) => void>();
  private readonly subscription: { dispose(): void };

  constructor(private readonly runs: RunSource) {
    this.subscription = runs.onDidChange(() => this.fire());
  }

  select(runDir: string | undefined): void {
    this.selected = runDir;
    this.fire();
  }

  /** The selected run while the registry lists it; the heading names that same run (its display name first). */
  scope(): CheckpointsScope {
    const run = this.selected ? this.runs.get(this.selected) : undefined;
    return run
      ? { runDir: run.dir, heading: `Run ${run.displayName ?? run.name}` }
      : { runDir: undefined, heading: undefined };
  }

  onDidChange(listener: (scope: CheckpointsScope) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private fire(): void {
    const scope = this.scope();
    for (const listener of [...this.listeners]) listener(scope);
  }

  dispose(): void {
    this.subscription.dispose();
    this.listeners.clear();
  }
}
