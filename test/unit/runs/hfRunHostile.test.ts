import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, promises as fsp, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hfRunProblem, readHfRun } from '../../../src/runs/hfRun';
import { parsePythonJson, parseTrainerState } from '../../../src/runs/hfTrainerState';
import { fixturesDir } from '../../support/paths';

const FIXTURE = path.join(fixturesDir, 'hf-run');

/** A trainer_state.json as Python's json.dump writes it for a run that diverged: bare NaN and Infinity. */
const DIVERGED = `{
  "global_step": 4, "max_steps": 4, "best_model_checkpoint": "out/NaN-Infinity/checkpoint-2",
  "log_history": [
    {"step": 1, "epoch": 0.25, "loss": 2.5, "learning_rate": 1e-4, "grad_norm": 1.5},
    {"step": 2, "epoch": 0.5, "loss": NaN, "learning_rate": 1e-4, "grad_norm": Infinity},
    {"step": 2, "epoch": 0.5, "eval_loss": 2.25},
    {"step": 3, "epoch": 0.75, "loss": -Infinity, "learning_rate": 1e-4, "grad_norm": NaN},
    {"step": 4, "epoch": 1.0, "loss": 1.5, "learning_rate": 1e-4, "grad_norm": 0.5, "note": "NaN \\" Infinity"},
    {"step": 4, "epoch": 1.0, "eval_loss": NaN}
  ]
}`;

describe('Hugging Face runs: hostile trainer_state.json files', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-hf-hostile-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function runWith(text: string): string {
    const dir = path.join(root, 'run');
    cpSync(FIXTURE, dir, { recursive: true });
    rmSync(path.join(dir, 'checkpoint-4'), { recursive: true });
    rmSync(path.join(dir, 'checkpoint-8'), { recursive: true });
    writeFileSync(path.join(dir, 'trainer_state.json'), text);
    return dir;
  }

  it('reads bare NaN / Infinity / -Infinity (a diverged run), leaving text in strings alone', () => {
    assert.deepEqual(parsePythonJson('[NaN, Infinity, -Infinity, "NaN", "a \\" NaN", 1]'), [
      'NaN',
      Infinity,
      -Infinity,
      'NaN',
      'a " NaN',
      1,
    ]);
    assert.throws(() => parsePythonJson('{"a": Nan}'), SyntaxError, 'only the exact Python spellings');
    const state = parseTrainerState(DIVERGED);
    assert.equal(state.bestModelCheckpoint, 'out/NaN-Infinity/checkpoint-2', 'strings are not rewritten');
    assert.equal(state.logHistory[4].note, 'NaN " Infinity');
  });

  it('imports a diverged run: the NaN/Infinity points are gaps, and a warning notice says from which step', async () => {
    const dir = runWith(DIVERGED);
    assert.equal(await hfRunProblem(dir), undefined);
    const { progress, nonFinite } = await readHfRun(dir);
    assert.deepEqual(
      progress.steps.map((s) => [s.step, s.loss, s.gradNorm]),
      [
        [1, 2.5, 1.5],
        [4, 1.5, 0.5],
      ],
    );
    assert.deepEqual(
      progress.evals.map((e) => [e.step, e.evalLoss]),
      [[2, 2.25]],
    );
    assert.ok(progress.steps.every((s) => Number.isFinite(s.loss) && Number.isFinite(s.learningRate)));
    assert.equal(progress.bestEvalLoss, 2.25);
    assert.deepEqual(nonFinite, { count: 3, firstStep: 2 });
    const notice = progress.notices.find((n) => n.code === 'non_finite_loss');
    assert.equal(notice?.level, 'warning');
    assert.match(notice?.message ?? '', /NaN or infinite in 3 logged entries, from step 2/);
  });

  it('reads a history of 200,000 evaluations (no spread into Math.min: no stack overflow)', async () => {
    const history: string[] = [];
    for (let step = 1; step <= 200_000; step++) {
      history.push(`{"step": ${step}, "epoch": ${step / 1000}, "eval_loss": ${3 - step / 100_000}}`);
    }
    const dir = runWith(
      `{"global_step": 200000, "max_steps": 200000, "log_history": [${history.join(',')}]}`,
    );
    const { progress } = await readHfRun(dir);
    assert.equal(progress.evals.length, 200_000);
    assert.equal(progress.bestEvalLoss, 1);
  });

  it('reads trainer_state.json once for "check, then import" (the same folder, unchanged)', async () => {
    const dir = path.join(root, 'with-checkpoints');
    cpSync(FIXTURE, dir, { recursive: true });
    const reads: string[] = [];
    const original = fsp.readFile;
    fsp.readFile = ((file: string, ...rest: unknown[]) => {
      if (String(file).endsWith('trainer_state.json')) reads.push(path.relative(dir, String(file)));
      return (original as (...a: unknown[]) => unknown)(file, ...rest);
    }) as typeof fsp.readFile;
    let first;
    try {
      assert.equal(await hfRunProblem(dir), undefined);
      first = await readHfRun(dir);
      assert.equal(first.progress.evals.length, 4);
    } finally {
      fsp.readFile = original;
    }
    assert.deepEqual(reads, ['trainer_state.json'], 'one read of the top-level state, none of a checkpoint');
    // A changed file is read again.
    const file = path.join(dir, 'trainer_state.json');
    writeFileSync(file, readFileSync(file, 'utf8') + '\n');
    assert.notEqual(await readHfRun(dir), first);
  });
});
