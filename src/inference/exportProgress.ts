/**
 * Progress of an ONNX export (`medqa_trainer export-onnx`) as the notification shows it: which of the exporter's
 * lines are progress, how long an export will take, and where the bar stands. (No vscode import.)
 *
 * The exporter prints progress on stderr as `export-onnx: …`; its numbered lines `export-onnx: [k/4] …` start a
 * phase (load, export, validate, write: docs/protocol.md, "ONNX export folder"). Everything else a Python process
 * prints there (torch's and transformers' warnings, with their source lines such as `warnings.warn(`) belongs in
 * the Output channel only.
 */

/** Our own first phase (starting Python, importing torch), then the exporter's four. */
export const EXPORT_PHASES = [
  'starting Python',
  'loading the model',
  'exporting the graph',
  'validating against PyTorch',
  'writing the folder',
] as const;

export type ExporterLine =
  /** `parameters`: the model's size where the line names it ("exporting 135 M parameters"). */
  | { kind: 'phase'; phase: number; text: string; parameters?: number }
  | { kind: 'detail'; text: string; fraction?: number };

const PREFIX = 'export-onnx: ';

/**
 * An exporter line as progress, or undefined for anything that is not (warnings and their source lines, tracebacks,
 * transformers' own messages). `phase` counts from 1 like EXPORT_PHASES' index (0 is ours, before any line).
 */
export function parseExporterLine(line: string): ExporterLine | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith(PREFIX)) return undefined;
  const text = trimmed.slice(PREFIX.length).trim();
  if (!text) return undefined;
  const numbered = /^\[(\d+)\/(\d+)\]\s*(.*)$/.exec(text);
  if (numbered) {
    const phase = Number(numbered[1]);
    const total = Number(numbered[2]);
    if (total !== EXPORT_PHASES.length - 1 || phase < 1 || phase > total) return { kind: 'detail', text };
    const parameters = /\b(\d+(?:\.\d+)?) M parameters\b/.exec(numbered[3]);
    return parameters
      ? { kind: 'phase', phase, text: numbered[3], parameters: Number(parameters[1]) * 1e6 }
      : { kind: 'phase', phase, text: numbered[3] };
  }
  const counted = /\bvalidated (\d+)\/(\d+) prompts\b/.exec(text);
  if (counted && Number(counted[2]) > 0)
    return { kind: 'detail', text, fraction: Math.min(1, Number(counted[1]) / Number(counted[2])) };
  return { kind: 'detail', text };
}

/** One finished export as measured here: wall-clock seconds, and how they split over EXPORT_PHASES. */
export interface ExportTiming {
  model: string;
  adapter: boolean;
  parameters: number | null;
  seconds: number;
  phaseSeconds: number[];
}

export interface ExportEstimate {
  seconds: number;
  /** Share of the time per phase of EXPORT_PHASES (sums to 1). */
  shares: number[];
  /** Where the figure comes from, for the user: an estimate says what it rests on. */
  basis: string;
}

/**
 * Measured by the issue's newcomer (issue 22) through the extension on a 2-core CPU: SmolLM2-135M-Instruct, 134.5 M
 * parameters, took 105 s for the base model and 114 s for a checkpoint (its adapter merged first). Used, scaled
 * by parameter count, only until this machine has measured an export of its own.
 */
export const REFERENCE_EXPORT = { parameters: 134_515_008, baseSeconds: 105, adapterSeconds: 114 };

/**
 * How the time splits over the phases before any export was measured here: a guess (Python start and model
 * loading each a good part, torch.onnx the largest, validation next, writing and hashing the least). It only
 * places the bar within a phase; the time left comes from the total.
 */
const DEFAULT_SHARES = [0.15, 0.15, 0.35, 0.25, 0.1];

function shares(phaseSeconds: readonly number[]): number[] {
  const total = phaseSeconds.reduce((a, b) => a + Math.max(0, b), 0);
  return phaseSeconds.length === EXPORT_PHASES.length && total > 0
    ? phaseSeconds.map((s) => Math.max(0, s) / total)
    : [...DEFAULT_SHARES];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
}

/**
 * How long one export job will take, from what this machine measured (the same model and kind first, else another
 * model scaled by parameter count), else from the reference measurement scaled the same way; undefined when
 * nothing is known (the first export of a model whose size is unknown measures it).
 */
export function estimateExport(
  job: { model: string; adapter: boolean; parameters: number | null },
  history: readonly ExportTiming[],
): ExportEstimate | undefined {
  const kind = job.adapter ? 'checkpoint' : 'base model';
  const same = history.filter((t) => t.model === job.model && t.adapter === job.adapter).slice(-3);
  if (same.length > 0) {
    const seconds = median(same.map((t) => t.seconds));
    return {
      seconds,
      shares: shares(same[same.length - 1].phaseSeconds),
      basis: `measured: ${same.length === 1 ? 'the last export' : `the last ${same.length} exports`} of this ${kind} took ${formatSeconds(seconds)}`,
    };
  }
  if (job.parameters) {
    const scaled = [...history]
      .reverse()
      .find((t) => t.adapter === job.adapter && t.parameters && t.parameters > 0);
    if (scaled?.parameters) {
      return {
        seconds: (scaled.seconds * job.parameters) / scaled.parameters,
        shares: shares(scaled.phaseSeconds),
        basis: `scaled from this machine's export of ${scaled.model} (${formatSeconds(scaled.seconds)}) by parameter count`,
      };
    }
    const reference = job.adapter ? REFERENCE_EXPORT.adapterSeconds : REFERENCE_EXPORT.baseSeconds;
    return {
      seconds: (reference * job.parameters) / REFERENCE_EXPORT.parameters,
      shares: [...DEFAULT_SHARES],
      basis: `rough: SmolLM2-135M took ${formatSeconds(reference)} on a 2-core CPU; scaled to ${Math.round(job.parameters / 1e6)} M parameters`,
    };
  }
  return undefined;
}

/** Keeps the newest timings, at most `keep`. */
export function addTiming(history: readonly ExportTiming[], timing: ExportTiming, keep = 20): ExportTiming[] {
  return [...history, timing].slice(-keep);
}

/** The stored history as far as it is well-formed (it comes from the extension's global state). */
export function readTimings(value: unknown): ExportTiming[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (t): t is ExportTiming =>
      typeof t === 'object' &&
      t !== null &&
      typeof (t as ExportTiming).model === 'string' &&
      typeof (t as ExportTiming).adapter === 'boolean' &&
      typeof (t as ExportTiming).seconds === 'number' &&
      Number.isFinite((t as ExportTiming).seconds) &&
      (t as ExportTiming).seconds > 0 &&
      Array.isArray((t as ExportTiming).phaseSeconds) &&
      ((t as ExportTiming).parameters === null || typeof (t as ExportTiming).parameters === 'number'),
  );
}
