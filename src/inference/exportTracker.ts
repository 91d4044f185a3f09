import { EXPORT_PHASES, formatSeconds, type ExporterLine, type ExportEstimate } from './exportProgress';

/** One job of an export command (the base model, then the checkpoint). */
export interface TrackedJob {
  label: string;
  estimate: ExportEstimate | undefined;
}

/** What one finished job measured, for the next estimate. */
export interface JobMeasurement {
  seconds: number;
  phaseSeconds: number[];
  parameters: number | null;
}

/** Without an estimate the bar creeps within a phase (it must move) but never claims the phase is done. */
const CREEP_SECONDS = 20;

/**
 * Where an export stands, from the exporter's phase lines and the clock (injected, so tests drive it): the fraction
 * done (never going back), a message naming the phase and the time left, and what each job measured.
 */
export class ExportTracker {
  private job = 0;
  private phase = 0;
  private jobStart: number;
  private phaseStart: number;
  private phaseStarts: number[] = [];
  private detail: number | undefined;
  private parameters: number | null = null;
  private shown = 0;
  private readonly weights: number[];
  readonly totalEstimate: number | undefined;

  constructor(
    private readonly jobs: readonly TrackedJob[],
    private readonly started: number,
  ) {
    this.jobStart = this.phaseStart = started;
    this.phaseStarts = [started];
    const known = jobs.every((j) => j.estimate);
    this.totalEstimate = known ? jobs.reduce((sum, j) => sum + (j.estimate?.seconds ?? 0), 0) : undefined;
    this.weights = jobs.map((j) =>
      this.totalEstimate && j.estimate ? j.estimate.seconds / this.totalEstimate : 1 / jobs.length,
    );
  }

  /** A job begins (its Python process is starting). */
  startJob(index: number, now: number): void {
    this.job = index;
    this.phase = 0;
    this.jobStart = this.phaseStart = now;
    this.phaseStarts = [now];
    this.detail = undefined;
    this.parameters = null;
  }

  /** An exporter line of the running job (see parseExporterLine); a phase never goes back. */
  line(line: ExporterLine, now: number): void {
    if (line.kind === 'phase') {
      if (line.phase <= this.phase) return;
      for (let p = this.phase + 1; p <= line.phase; p++) this.phaseStarts[p] = now;
      this.phase = line.phase;
      this.phaseStart = now;
      this.detail = undefined;
      if (line.parameters) this.parameters = line.parameters;
    } else if (line.fraction !== undefined) {
      this.detail = line.fraction;
    }
  }

  /** The running job ended well: how long it took and how the time split over the phases. */
  finishJob(now: number): JobMeasurement {
    const starts = EXPORT_PHASES.map((_, p) => this.phaseStarts[p]);
    const phaseSeconds = starts.map((start, p) => {
      if (start === undefined) return 0;
      const next = starts.slice(p + 1).find((s) => s !== undefined) ?? now;
      return Math.max(0, (next - start) / 1000);
    });
    return { seconds: (now - this.jobStart) / 1000, phaseSeconds, parameters: this.parameters };
  }

  private withinJob(now: number): number {
    const estimate = this.jobs[this.job]?.estimate;
    const shares = estimate?.shares ?? EXPORT_PHASES.map(() => 1 / EXPORT_PHASES.length);
    const done = shares.slice(0, this.phase).reduce((a, b) => a + b, 0);
    const elapsed = (now - this.phaseStart) / 1000;
    const byTime = estimate
      ? elapsed / Math.max(1, shares[this.phase] * estimate.seconds)
      : 1 - Math.exp(-elapsed / CREEP_SECONDS);
    const inPhase = Math.min(0.95, Math.max(byTime, this.detail ?? 0));
    return done + shares[this.phase] * inPhase;
  }

  /** Fraction of the whole command done, 0…1; it never goes back. */
  fraction(now: number): number {
    const before = this.weights.slice(0, this.job).reduce((a, b) => a + b, 0);
    const value = before + this.weights[this.job] * this.withinJob(now);
    this.shown = Math.max(this.shown, Math.min(0.99, value));
    return this.shown;
  }

  /** "base model (1/2) · exporting the graph (3/5) · about 1 min 20 s left". */
  message(now: number): string {
    const job = this.jobs[this.job];
    const parts = [
      this.jobs.length > 1 ? `${job.label} (${this.job + 1}/${this.jobs.length})` : job.label,
      `${EXPORT_PHASES[this.phase]} (${this.phase + 1}/${EXPORT_PHASES.length})`,
    ];
    if (this.totalEstimate !== undefined) {
      const elapsed = (now - this.started) / 1000;
      const left = this.totalEstimate * (1 - this.fraction(now));
      parts.push(
        elapsed > this.totalEstimate * 1.25
          ? `taking longer than the ${formatSeconds(this.totalEstimate)} estimated`
          : left < 10
            ? 'almost done'
            : `about ${formatSeconds(Math.ceil(left / 5) * 5)} left`,
      );
    }
    return parts.join(' · ');
  }
}
