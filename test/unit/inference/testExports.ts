/**
 * Real ONNX exports for the engine tests and the benchmark, made by `python -m medqa_trainer export-onnx` (never by
 * hand) and cached outside the clone, keyed by the exporter's source files and the model, so a changed exporter
 * exports again and an unchanged one is reused across runs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { importDataset } from '../../../src/dataset/import';
import type { QaPair } from '../../../src/dataset/model';
import { repoRoot, requireShared } from '../../support/paths';

export type TestModel = 'tiny-qwen3' | 'smollm2';

/** The trainer's Python: MEDQA_PYTHON (set by ./studio) or the clone's .venv. */
export function testPython(): string {
  const python = process.env.MEDQA_PYTHON ?? path.join(repoRoot, '.venv', 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(
      `these tests need the trainer's Python at ${python}: run ./studio setup (or set MEDQA_PYTHON)`,
    );
  }
  return python;
}

/** The clone's trainer importable (the helpers import medqa_trainer), and never a hub lookup. */
function pythonEnv(): NodeJS.ProcessEnv {
  const trainer = path.join(repoRoot, 'trainer');
  const pythonPath = process.env.PYTHONPATH
    ? `${trainer}${path.delimiter}${process.env.PYTHONPATH}`
    : trainer;
  return { ...process.env, PYTHONPATH: pythonPath, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' };
}

function toolsDir(): string {
  return process.env.MEDQA_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'medqa-studio', 'tools');
}

/** The source model folder, failing with what to run when it is not there. */
export function sourceModel(model: TestModel): string {
  if (model === 'tiny-qwen3') {
    const tiny = process.env.MEDQA_TEST_TINY_MODEL;
    if (!tiny || !existsSync(path.join(tiny, 'config.json'))) {
      throw new Error(
        'MEDQA_TEST_TINY_MODEL does not name the tiny Qwen3 test model: run the suite through ./studio test unit ' +
          '(it builds the model and sets the variable)',
      );
    }
    return tiny;
  }
  const modelsDir = process.env.MEDQA_MODELS_DIR ?? path.join(path.dirname(toolsDir()), 'models');
  const folder = path.join(modelsDir, 'smollm2-135m-instruct');
  if (!existsSync(path.join(folder, 'medqa-model.json'))) {
    throw new Error(
      `the local model smollm2-135m-instruct is not installed in ${modelsDir}: run ./studio setup ` +
        '(or python -m medqa_trainer models install smollm2-135m-instruct)',
    );
  }
  return folder;
}

function exporterHash(source: string): string {
  const trainer = path.join(repoRoot, 'trainer', 'medqa_trainer');
  const files = readdirSync(trainer)
    .filter((name) => name.startsWith('onnx_') && name.endsWith('.py'))
    .sort();
  if (files.length === 0) throw new Error(`no export-onnx in ${trainer} (onnx_export.py is missing)`);
  const hash = createHash('sha256').update(source);
  for (const name of files) hash.update(name).update(readFileSync(path.join(trainer, name)));
  hash.update(readFileSync(path.join(source, 'config.json')));
  return hash.digest('hex').slice(0, 16);
}

/** Runs export-onnx with `args` (and --force), failing with the exporter's own message. */
function runExporter(args: string[], what: string): void {
  const result = spawnSync(testPython(), ['-m', 'medqa_trainer', 'export-onnx', ...args, '--force'], {
    cwd: path.join(repoRoot, 'trainer'),
    encoding: 'utf8',
    env: pythonEnv(),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(
      `export-onnx of ${what} failed (exit ${result.status}):\n${(result.stderr || result.error?.message || '').slice(-3000)}`,
    );
  }
}

/** `<variant>-<exporter hash>` in the cache, made by `make` unless complete; earlier exporters' ones are removed. */
function cachedExport(variant: string, source: string, make: (out: string) => void): string {
  const out = path.join(toolsDir(), 'onnx-test-exports', `${variant}-${exporterHash(source)}`);
  if (existsSync(path.join(out, 'medqa-onnx.json'))) return out;
  make(out);
  // Exports made by an earlier exporter are never read again; each SmolLM2 one is ~0.2-0.5 GB.
  const earlier = new RegExp(`^${variant}-[0-9a-f]{16}$`);
  for (const name of readdirSync(path.dirname(out))) {
    if (earlier.test(name) && name !== path.basename(out)) {
      rmSync(path.join(path.dirname(out), name), { recursive: true, force: true });
    }
  }
  return out;
}

/** The fp32 export folder for `model`, exported now unless a complete one for the same exporter and model exists. */
export function testExport(model: TestModel): string {
  const source = sourceModel(model);
  return cachedExport(model, source, (out) => runExporter(['--model', source, '--out', out], source));
}

/**
 * The weight-only quantised export of `model` (`export-onnx --from-export <testExport(model)> --quantize`), cached
 * beside the fp32 one under the same exporter hash (the hash covers onnx_quantize.py too).
 */
export function quantizedTestExport(model: TestModel, scheme: 'int8' | 'int4'): string {
  const source = sourceModel(model);
  return cachedExport(`${model}-${scheme}`, source, (out) =>
    runExporter(
      ['--from-export', testExport(model), '--quantize', scheme, '--out', out],
      `${source} (${scheme})`,
    ),
  );
}

/** Runs a Python helper beside the tests with a JSON request file; returns its last stdout line as JSON. */
export function runPythonJson<T>(script: string, requestFile: string): T {
  const result = spawnSync(
    testPython(),
    [path.join(repoRoot, 'test', 'unit', 'inference', script), requestFile],
    {
      cwd: path.join(repoRoot, 'trainer'),
      encoding: 'utf8',
      env: pythonEnv(),
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  if (result.status !== 0) {
    throw new Error(
      `${script} failed (exit ${result.status}):\n${(result.stderr || result.error?.message || '').slice(-3000)}`,
    );
  }
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

/** `count` answered MedQuAD pairs spread evenly over the whole collection (sorted by id: the same every run). */
export async function medquadSample(count: number): Promise<QaPair[]> {
  const { pairs } = await importDataset(requireShared('data/MedQuAD'));
  const answered = pairs.filter((pair) => pair.answer !== '').sort((a, b) => (a.id < b.id ? -1 : 1));
  const stride = answered.length / count;
  return Array.from({ length: count }, (_, i) => answered[Math.floor(i * stride)]);
}
