/**
 * Properties for hostile run artefacts (issue 22), shared by `npm run fuzz` (test/fuzz/hostileRuns.fuzz.ts) and
 * a reduced run in the unit suite (test/unit/runs/hostileRunsSmoke.test.ts):
 * - Hugging Face trainer_state.json written by Python's json (bare NaN / Infinity / -Infinity, strings that
 *   contain those words, torn files) and huge histories;
 * - ONNX export folders whose listed files (or the onnx/ folder, or the export itself) are symbolic links that
 *   stay inside the export or lead out of it.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { ExportError, readExport } from '../../src/inference/exportReader';
import { HfRunError, parseTrainerState, progressFromTrainerState } from '../../src/runs/hfTrainerState';

export const HOSTILE_SEED = 20261206;

// ---- Hugging Face trainer_state.json -------------------------------------------------------------------------

type PyNumber = number | { py: 'NaN' | 'Infinity' | '-Infinity' };

const pyNumber: fc.Arbitrary<PyNumber> = fc.oneof(
  { weight: 6, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }) },
  { weight: 2, arbitrary: fc.constantFrom('NaN', 'Infinity', '-Infinity').map((py) => ({ py }) as PyNumber) },
);

const trickyText = fc.string({
  unit: fc.constantFrom('NaN', 'Infinity', '-Infinity', '"', '\\', ' ', 'a', 'é', '\n', '}', ','),
  maxLength: 12,
});

interface Entry {
  step: number;
  epoch: number;
  loss?: PyNumber;
  eval_loss?: PyNumber;
  learning_rate?: PyNumber;
  grad_norm?: PyNumber;
  note?: string;
}

const entry: fc.Arbitrary<Entry> = fc.record(
  {
    step: fc.nat(50),
    epoch: fc.double({ noNaN: true, noDefaultInfinity: true, min: 0, max: 10 }),
    loss: pyNumber,
    eval_loss: pyNumber,
    learning_rate: pyNumber,
    grad_norm: pyNumber,
    note: trickyText,
  },
  { requiredKeys: ['step', 'epoch'] },
);

const finite = (value: PyNumber | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const nonFinite = (value: PyNumber | undefined): boolean => value !== undefined && typeof value !== 'number';

/** What Python's json.dumps writes: bare NaN / Infinity / -Infinity where JSON has no such numbers. */
export function pythonJson(value: unknown): string {
  const marked = JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && 'py' in v ? `\u0001${(v as { py: string }).py}\u0001` : v,
  );
  return marked.replace(/"\\u0001(NaN|Infinity|-Infinity)\\u0001"/g, '$1');
}

/** A diverged run's state parses; its curves hold only finite values; non-finite entries are counted; strings survive. */
export const trainerStateProperty = fc.property(
  fc.array(entry, { maxLength: 40 }),
  fc.nat(),
  (history, cut) => {
    const text = pythonJson({ global_step: 50, max_steps: 50, log_history: history });
    const state = parseTrainerState(text);
    assert.deepEqual(
      state.logHistory.map((e) => e.note),
      history.map((e) => e.note),
      'text inside strings is left as it was',
    );
    const { progress, nonFinite: counted } = progressFromTrainerState(state);
    for (const point of progress.steps) {
      assert.ok(Number.isFinite(point.loss) && Number.isFinite(point.learningRate), JSON.stringify(point));
      assert.ok(point.gradNorm === null || Number.isFinite(point.gradNorm));
    }
    assert.ok(progress.evals.every((e) => Number.isFinite(e.evalLoss)));
    const steps = progress.steps.map((s) => s.step);
    assert.deepEqual(
      steps,
      [...new Set(steps)].sort((a, b) => a - b),
      'one point per step, in order',
    );
    const diverged = history.filter((e) => nonFinite(e.loss) || nonFinite(e.eval_loss));
    assert.equal(counted.count, diverged.length);
    assert.equal(counted.firstStep, diverged[0]?.step ?? null);
    const evals = new Map<number, number>();
    for (const e of history) if (finite(e.eval_loss)) evals.set(e.step, e.eval_loss);
    const lowest = evals.size ? [...evals.values()].reduce((a, b) => Math.min(a, b)) : null;
    // + 0: JSON writes -0 as 0.
    assert.equal(
      typeof progress.bestEvalLoss === 'number' ? progress.bestEvalLoss + 0 : progress.bestEvalLoss,
      lowest === null ? null : lowest + 0,
    );
    // A torn file is an HfRunError naming the file, never another error.
    const torn = text.slice(0, cut % (text.length + 1));
    try {
      parseTrainerState(torn);
    } catch (error) {
      assert.ok(error instanceof HfRunError, `a torn file threw ${String(error)}`);
    }
  },
);

/** A history of `size` entries (evaluations, losses, some NaN), as a Trainer that ran long writes it. */
export function hugeTrainerState(size: number): string {
  const parts: string[] = [];
  for (let step = 1; step <= size; step++) {
    const loss = step % 9973 === 0 ? 'NaN' : String(3 - step / (size * 2));
    parts.push(`{"step": ${step}, "epoch": ${step / 1000}, "loss": ${loss}, "learning_rate": 1e-4}`);
    parts.push(`{"step": ${step}, "epoch": ${step / 1000}, "eval_loss": ${2 - step / (size * 2)}}`);
  }
  return `{"global_step": ${size}, "max_steps": ${size}, "log_history": [${parts.join(',\n')}]}`;
}

export function checkHugeHistory(size: number): void {
  const { progress, nonFinite: counted } = progressFromTrainerState(
    parseTrainerState(hugeTrainerState(size)),
  );
  assert.equal(progress.evals.length, size);
  assert.equal(progress.steps.length, size - Math.floor(size / 9973));
  assert.equal(counted.count, Math.floor(size / 9973));
  assert.equal(progress.bestEvalLoss, 2 - size / (size * 2));
}

// ---- ONNX export folders with links ----------------------------------------------------------------------------

type FileMode = 'plain' | 'link-inside' | 'link-outside' | 'relative-link-outside';
const FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json'] as const;

const exportLayout = fc.record({
  files: fc.array(
    fc.constantFrom<FileMode>('plain', 'plain', 'link-inside', 'link-outside', 'relative-link-outside'),
    {
      minLength: FILES.length,
      maxLength: FILES.length,
    },
  ),
  model: fc.constantFrom<FileMode | 'dir-link-inside' | 'dir-link-outside'>(
    'plain',
    'plain',
    'link-inside',
    'link-outside',
    'dir-link-inside',
    'dir-link-outside',
  ),
  reachedThroughLink: fc.boolean(),
});

const CONTENT: Record<string, string> = {
  'onnx/model.onnx': 'not really a graph',
  'config.json': JSON.stringify({ model_type: 'qwen3', vocab_size: 8, eos_token_id: 4 }),
  'generation_config.json': JSON.stringify({ eos_token_id: [4, 3] }),
  'tokenizer.json': JSON.stringify({
    model: { type: 'BPE', vocab: { a: 0, b: 1, c: 2 }, merges: [] },
    added_tokens: [
      { id: 3, content: '<|endoftext|>', special: true },
      { id: 4, content: '<|im_end|>', special: true },
    ],
  }),
  'tokenizer_config.json': JSON.stringify({ eos_token: '<|im_end|>', chat_template: '{{ messages }}' }),
};

/** Writes `relative` into the export as `mode` says: the file, or a link to a copy inside or outside. */
function place(exportDir: string, outside: string, relative: string, mode: FileMode): void {
  const file = path.join(exportDir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  if (mode === 'plain') return writeFileSync(file, CONTENT[relative]);
  const store = mode === 'link-inside' ? path.join(exportDir, '.store') : outside;
  const copy = path.join(store, relative.replace(/\//g, '_'));
  mkdirSync(store, { recursive: true });
  writeFileSync(copy, CONTENT[relative]);
  symlinkSync(mode === 'relative-link-outside' ? path.relative(path.dirname(file), copy) : copy, file);
}

/** readExport accepts an export exactly when every listed file really lies inside it; else it names the link. */
export const exportLinksProperty = fc.asyncProperty(exportLayout, async (layout) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'medqa-fuzz-links-'));
  try {
    const exportDir = path.join(root, 'exports', 'tiny');
    const outside = path.join(root, 'outside');
    mkdirSync(exportDir, { recursive: true });
    mkdirSync(outside);
    let escapes = false;
    FILES.forEach((relative, i) => {
      place(exportDir, outside, relative, layout.files[i]);
      if (layout.files[i].endsWith('outside')) escapes = true;
    });
    if (layout.model === 'dir-link-inside' || layout.model === 'dir-link-outside') {
      const target =
        layout.model === 'dir-link-inside' ? path.join(exportDir, '.graph') : path.join(outside, 'graph');
      mkdirSync(target, { recursive: true });
      writeFileSync(path.join(target, 'model.onnx'), CONTENT['onnx/model.onnx']);
      symlinkSync(target, path.join(exportDir, 'onnx'));
      escapes ||= layout.model === 'dir-link-outside';
    } else {
      place(exportDir, outside, 'onnx/model.onnx', layout.model);
      escapes ||= layout.model.endsWith('outside');
    }
    const files: Record<string, { sha256: string; bytes: number }> = {};
    for (const [relative, text] of Object.entries(CONTENT)) {
      files[relative] = {
        sha256: createHash('sha256').update(text).digest('hex'),
        bytes: Buffer.byteLength(text),
      };
    }
    const manifest = {
      format: 'medqa-onnx-export',
      version: 1,
      model: 'tiny',
      model_type: 'qwen3',
      adapter: null,
      files,
    };
    writeFileSync(path.join(exportDir, 'medqa-onnx.json'), JSON.stringify(manifest));
    let dir = exportDir;
    if (layout.reachedThroughLink) {
      dir = path.join(root, 'linked');
      symlinkSync(exportDir, dir);
    }
    let error: unknown;
    const info = await readExport(dir).catch((e: unknown) => void (error = e));
    if (escapes) {
      assert.ok(
        error instanceof ExportError,
        `an export with a link out of it was accepted: ${JSON.stringify(layout)}`,
      );
      assert.match(error.message, /is a link to a file outside the export/);
    } else {
      assert.equal(error, undefined, `${String(error)} for ${JSON.stringify(layout)}`);
      assert.equal(info?.modelType, 'qwen3');
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
