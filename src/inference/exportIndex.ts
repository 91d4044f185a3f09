import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { QUANTIZATION_SCHEMES, type QuantizationScheme } from '../protocol/trainer/onnxManifest';

/**
 * Where ONNX exports live and which checkpoint each belongs to. Exports are written in the workspace, never into
 * a run or a model folder: `.medqa/onnx/<run>/<checkpoint>/` for an adapter, `.medqa/onnx/base/<model key>/` for
 * a base model. Which checkpoint an export belongs to is read from its manifest (`adapter`), not from its folder
 * name, so a renamed folder still matches. (No vscode import.)
 */
export const ONNX_DIR = path.join('.medqa', 'onnx');
export const BASE_DIR = 'base';
export const MANIFEST_FILE = 'medqa-onnx.json';

export interface ExportSummary {
  dir: string;
  /** The base model the export was made from (as the exporter was given it). */
  model: string;
  /** Every name the manifest gives the model (as given, as resolved to a folder): any of them matches. */
  modelNames: string[];
  /** Absolute adapter folder merged in; null for a base model's export. */
  adapter: string | null;
  step: number | null;
  /** Sum of the manifest's file sizes. */
  bytes: number;
  createdAt: string | null;
  /** `int8` / `int4` for a quantised export (`export-onnx --quantize`), null for fp32. */
  quantization: QuantizationScheme | null;
}

/** "ONNX", "ONNX int4": how the Checkpoints view and the pickers name an export. */
export function exportLabel(summary: Pick<ExportSummary, 'quantization'>): string {
  return summary.quantization ? `ONNX ${summary.quantization}` : 'ONNX';
}

/** A folder under `.medqa/onnx/` that has no usable manifest (an export cut short, a hand-made folder). */
export interface ExportProblem {
  dir: string;
  problem: string;
}

export function onnxRoot(workspaceRoot: string): string {
  return path.join(workspaceRoot, ONNX_DIR);
}

/** A folder name from any text: letters, digits, `.`, `_`, `-`; never empty, never `.` or `..`. */
export function safeName(text: string): string {
  const name = text.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '_');
  return name || '_';
}

/** `HuggingFaceTB/SmolLM2-135M-Instruct` → `HuggingFaceTB--SmolLM2-135M-Instruct`; a local folder → its name. */
export function modelKey(model: string): string {
  if (path.isAbsolute(model)) return safeName(path.basename(model));
  return safeName(model.replace(/\//g, '--'));
}

export function adapterExportDir(workspaceRoot: string, run: string, checkpoint: string): string {
  return path.join(onnxRoot(workspaceRoot), safeName(run), safeName(checkpoint));
}

/** A quantised export's folder: beside the fp32 one it is made from (`checkpoint-40` → `checkpoint-40-int4`). */
export function quantizedDir(fp32Dir: string, precision: QuantizationScheme): string {
  return path.join(path.dirname(fp32Dir), `${path.basename(fp32Dir)}-${precision}`);
}

/** The base model's export folder; `taken` (another model's export already there) adds a hash of the name. */
export function baseExportDir(workspaceRoot: string, model: string, taken = false): string {
  const suffix = taken ? `-${createHash('sha256').update(model).digest('hex').slice(0, 8)}` : '';
  return path.join(onnxRoot(workspaceRoot), BASE_DIR, `${modelKey(model)}${suffix}`);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The manifest's identity fields; the export reader checks the files themselves before anything loads them. */
export function summaryOf(dir: string, value: unknown): ExportSummary | string {
  if (!isRecord(value) || value.format !== 'medqa-onnx-export')
    return `${MANIFEST_FILE} is not a MedQA ONNX export manifest`;
  // `model` is the name as given, or `{ given, resolved }` (a catalogue name and the folder it resolved to).
  const names = (
    typeof value.model === 'string'
      ? [value.model]
      : isRecord(value.model)
        ? [value.model.given, value.model.resolved]
        : []
  ).filter((name): name is string => typeof name === 'string' && name !== '');
  if (names.length === 0) return `${MANIFEST_FILE} names no model`;
  if (value.adapter !== null && typeof value.adapter !== 'string')
    return `${MANIFEST_FILE}: 'adapter' must be a path or null`;
  let bytes = 0;
  if (isRecord(value.files)) {
    for (const file of Object.values(value.files)) {
      if (isRecord(file) && typeof file.bytes === 'number' && Number.isFinite(file.bytes))
        bytes += file.bytes;
    }
  }
  return {
    dir,
    model: names[0],
    modelNames: [...new Set(names)],
    adapter: typeof value.adapter === 'string' && value.adapter ? path.resolve(value.adapter) : null,
    step: typeof value.step === 'number' && Number.isFinite(value.step) ? value.step : null,
    bytes,
    createdAt: typeof value.created_at === 'string' ? value.created_at : null,
    quantization: quantizationOf(value.quantization),
  };
}

function quantizationOf(value: unknown): QuantizationScheme | null {
  const scheme = isRecord(value) ? value.scheme : undefined;
  return QUANTIZATION_SCHEMES.find((known) => known === scheme) ?? null;
}

export async function readExportSummary(dir: string): Promise<ExportSummary | ExportProblem> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    return { dir, problem: `no ${MANIFEST_FILE} (the export did not finish)` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { dir, problem: `${MANIFEST_FILE} is not valid JSON (${(error as Error).message})` };
  }
  const summary = summaryOf(dir, value);
  return typeof summary === 'string' ? { dir, problem: summary } : summary;
}

async function subfolders(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
  } catch {
    return [];
  }
}

/** Every export under `.medqa/onnx/` (two levels: `base/<key>` and `<run>/<checkpoint>`), and the broken ones. */
export async function discoverExports(
  workspaceRoot: string,
): Promise<{ exports: ExportSummary[]; problems: ExportProblem[] }> {
  const exports: ExportSummary[] = [];
  const problems: ExportProblem[] = [];
  for (const group of await subfolders(onnxRoot(workspaceRoot))) {
    for (const dir of await subfolders(group)) {
      const read = await readExportSummary(dir);
      if ('problem' in read) problems.push(read);
      else exports.push(read);
    }
  }
  exports.sort((a, b) => a.dir.localeCompare(b.dir));
  return { exports, problems };
}

/** Same model: the same hub id, or the same folder however it was written. */
export function sameModel(a: string, b: string): boolean {
  if (a === b) return true;
  return path.isAbsolute(a) && path.isAbsolute(b) && path.resolve(a) === path.resolve(b);
}

/** Whether an export was made from `model` (under any of the names its manifest records). */
export function madeFrom(summary: Pick<ExportSummary, 'modelNames'>, model: string): boolean {
  return summary.modelNames.some((name) => sameModel(name, model));
}

/** The exports of one checkpoint (matched by the manifest's adapter path), newest first. */
export function exportsOfCheckpoint(exports: readonly ExportSummary[], checkpoint: string): ExportSummary[] {
  const target = path.resolve(checkpoint);
  return exports
    .filter((e) => e.adapter === target)
    .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
}

/** The base model's export (no adapter, same model, fp32 unless asked), preferring the one in its own folder. */
export function baseExportOf(
  exports: readonly ExportSummary[],
  model: string,
  workspaceRoot?: string,
  quantization: ExportSummary['quantization'] = null,
): ExportSummary | undefined {
  const candidates = exports.filter(
    (e) => e.adapter === null && madeFrom(e, model) && e.quantization === quantization,
  );
  const home = workspaceRoot ? baseExportDir(workspaceRoot, model) : undefined;
  return candidates.find((e) => e.dir === home) ?? candidates[0];
}
