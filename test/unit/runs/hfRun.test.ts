import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  discoverHfCheckpoints,
  hfRunProblem,
  isHfRunFolder,
  readHfRun,
  trainerStateFile,
} from '../../../src/runs/hfRun';
import { parseTrainerState } from '../../../src/runs/hfTrainerState';
import { fixturesDir } from '../../support/paths';

/**
 * test/fixtures/hf-run/ is a real transformers Trainer + peft LoRA run on the tiny random Qwen3 (8 steps, 2
 * epochs, eval every 2 steps, checkpoints at 4 and 8, save_state() at the end), written by
 * trainer/tests/make_hf_run.py --strip-weights: only trainer_state.json, adapter_config.json and
 * tokenizer_config.json are kept. trainer/tests/test_hf_run_folder.py checks it against a fresh run.
 */
const FIXTURE = path.join(fixturesDir, 'hf-run');

interface LogEntry {
  step: number;
  epoch: number;
  loss?: number;
  eval_loss?: number;
  train_runtime?: number;
}
const fixtureState = (file = 'trainer_state.json') =>
  JSON.parse(readFileSync(path.join(FIXTURE, file), 'utf8')) as {
    log_history: LogEntry[];
    best_model_checkpoint: string;
    global_step: number;
  };

/** A writable copy of the fixture; `weights` adds stand-in adapter weights (a checkpoint needs them to be evaluable). */
function copyFixture(root: string, name = 'hf-copy', weights = false): string {
  const dir = path.join(root, name);
  cpSync(FIXTURE, dir, { recursive: true });
  if (weights) {
    for (const folder of [dir, path.join(dir, 'checkpoint-4'), path.join(dir, 'checkpoint-8')])
      writeFileSync(path.join(folder, 'adapter_model.safetensors'), 'stand-in');
  }
  return dir;
}

describe('Hugging Face runs (trainer_state.json)', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-hf-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('turns the log_history of a real Trainer run into train losses, eval points and epochs', async () => {
    const history = fixtureState().log_history;
    const read = await readHfRun(FIXTURE);
    const p = read.progress;
    assert.equal(read.finished, true);
    assert.equal(read.stateFile, path.join(FIXTURE, 'trainer_state.json'));
    assert.deepEqual(
      p.steps.map((s) => s.step),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.deepEqual(
      p.steps.map((s) => s.loss),
      history.filter((e) => e.loss !== undefined).map((e) => e.loss),
    );
    assert.deepEqual(
      p.steps.map((s) => s.epoch),
      [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2],
    );
    assert.ok(p.steps.every((s) => s.learningRate > 0 && s.gradNorm !== null && s.tokensPerSecond === null));
    assert.deepEqual(
      p.evals.map((e) => e.step),
      [2, 4, 6, 8],
    );
    for (const point of p.evals) {
      const logged = history.find((e) => e.step === point.step && e.eval_loss !== undefined);
      assert.equal(point.evalLoss, logged?.eval_loss);
      assert.equal(point.perplexity, Math.exp(point.evalLoss));
    }
    // The summary's train_loss is not a step: step 8 keeps its own logged loss.
    assert.equal(p.steps.length, 8);
    assert.equal(p.totalSteps, 8);
    assert.equal(p.finalStep, 8);
    assert.equal(p.terminal, 'run_finished');
    const runtime = history.find((e) => e.train_runtime !== undefined)?.train_runtime as number;
    const modified = statSync(path.join(FIXTURE, 'trainer_state.json')).mtimeMs;
    assert.equal(p.endedAt, modified);
    assert.equal(p.startedAt, modified - runtime * 1000);
    assert.equal(p.adapterPath, FIXTURE);
    assert.deepEqual(
      {
        model: typeof p.config?.model_name_or_path,
        r: p.config?.lora_r,
        alpha: p.config?.lora_alpha,
        targets: p.config?.lora_target_modules,
        epochs: p.config?.num_train_epochs,
        batch: p.config?.per_device_train_batch_size,
        evalSteps: p.config?.eval_steps,
      },
      { model: 'string', r: 8, alpha: 16, targets: ['q_proj', 'v_proj'], epochs: 2, batch: 2, evalSteps: 2 },
    );
    assert.equal(p.bestEvalLoss, p.evals.find((e) => e.step === 8)?.evalLoss);
  });

  it('finds the checkpoints and the final adapter; the best is best_model_checkpoint even from another path', async () => {
    const { progress } = await readHfRun(FIXTURE);
    assert.match(fixtureState().best_model_checkpoint, /checkpoint-8$/);
    assert.notEqual(path.dirname(fixtureState().best_model_checkpoint), FIXTURE, 'recorded where it trained');
    const checkpoints = await discoverHfCheckpoints(FIXTURE, progress);
    assert.deepEqual(
      checkpoints.map((c) => [c.name, c.kind, c.step, c.isBest, c.complete]),
      [
        ['checkpoint-4', 'checkpoint', 4, false, false],
        ['checkpoint-8', 'checkpoint', 8, true, false],
        ['hf-run', 'final', 8, false, false],
      ],
      'without adapter weights nothing is evaluable, but every checkpoint is listed',
    );
    assert.equal(checkpoints[0].evalLoss, progress.evals.find((e) => e.step === 4)?.evalLoss);
    assert.equal(checkpoints[2].path, FIXTURE);
  });

  it('a checkpoint with adapter_config.json, weights and trainer_state.json is complete; best follows the file', async () => {
    const dir = copyFixture(root, 'hf-copy', true);
    const file = path.join(dir, 'trainer_state.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    // The Trainer's pick is kept even where another checkpoint has a lower eval loss (e.g. another metric).
    state.best_model_checkpoint = '/elsewhere/output/checkpoint-4';
    delete state.best_global_step;
    writeFileSync(file, JSON.stringify(state));
    const { progress } = await readHfRun(dir);
    const checkpoints = await discoverHfCheckpoints(dir, progress);
    assert.deepEqual(
      checkpoints.map((c) => [c.name, c.complete, c.isBest]),
      [
        ['checkpoint-4', true, true],
        ['checkpoint-8', true, false],
        ['hf-copy', true, false],
      ],
    );
    assert.equal(progress.bestEvalLoss, progress.evals.find((e) => e.step === 4)?.evalLoss);
    // A checkpoint folder still being written (no trainer_state.json yet) is not complete.
    rmSync(path.join(dir, 'checkpoint-8', 'trainer_state.json'));
    assert.equal((await discoverHfCheckpoints(dir, progress))[1].complete, false);
  });

  it('without a top-level trainer_state.json reads the newest checkpoint; before max_steps the end is unknown', async () => {
    const dir = copyFixture(root);
    rmSync(path.join(dir, 'trainer_state.json'));
    assert.equal(isHfRunFolder(dir), true);
    assert.equal(await trainerStateFile(dir), path.join(dir, 'checkpoint-8', 'trainer_state.json'));
    const atEnd = await readHfRun(dir);
    assert.equal(atEnd.finished, true, 'checkpoint-8 reached max_steps');
    assert.equal(atEnd.progress.startedAt, undefined, 'no summary, no runtime');
    rmSync(path.join(dir, 'checkpoint-8'), { recursive: true });
    const partial = await readHfRun(dir);
    assert.equal(partial.finished, false);
    assert.equal(partial.progress.terminal, undefined);
    assert.equal(partial.progress.endedAt, undefined);
    assert.deepEqual(
      partial.progress.steps.map((s) => s.step),
      [1, 2, 3, 4],
    );
    assert.equal(partial.progress.totalSteps, 8);
    assert.equal(typeof partial.progress.config?.model_name_or_path, 'string', 'from the checkpoint adapter');
  });

  it('prefers a checkpoint newer than the top-level state, and reuses an unchanged read', async () => {
    const dir = copyFixture(root);
    const top = path.join(dir, 'trainer_state.json');
    writeFileSync(top, readFileSync(path.join(dir, 'checkpoint-4', 'trainer_state.json')));
    assert.equal(await trainerStateFile(dir), path.join(dir, 'checkpoint-8', 'trainer_state.json'));
    const first = await readHfRun(dir);
    assert.equal(await readHfRun(dir, first), first, 'same file, same size and time: not parsed again');
  });

  it('names what is wrong with a corrupt trainer_state.json', () => {
    const full = readFileSync(path.join(FIXTURE, 'trainer_state.json'), 'utf8');
    assert.throws(() => parseTrainerState(full.slice(0, 200)), /not valid JSON \(truncated or corrupt\)/);
    assert.throws(() => parseTrainerState(''), /trainer_state\.json is empty/);
    assert.throws(() => parseTrainerState('[1, 2]'), /not a JSON object/);
    assert.throws(() => parseTrainerState('{"global_step": 3}'), /no log_history list/);
    assert.throws(() => parseTrainerState('{"log_history": []}'), /no global_step/);
    const odd = parseTrainerState(
      '{"global_step": 2, "max_steps": -1, "log_history": [1, null, {"loss": 2}]}',
    );
    assert.equal(odd.maxSteps, null);
    assert.equal(odd.logHistory.length, 1);
  });

  it('says what is missing from a folder that is not a Trainer output folder', async () => {
    assert.equal(await hfRunProblem(FIXTURE), undefined);
    assert.match((await hfRunProblem(path.join(root, 'nope'))) ?? '', /does not exist/);
    writeFileSync(path.join(root, 'file.txt'), 'x');
    assert.match((await hfRunProblem(path.join(root, 'file.txt'))) ?? '', /is a file/);
    const ours = path.join(root, 'ours');
    mkdirSync(ours);
    writeFileSync(path.join(ours, 'events.jsonl'), '');
    assert.match((await hfRunProblem(ours)) ?? '', /MedQA Studio run \(it has events\.jsonl\)/);
    const adapterOnly = path.join(root, 'adapter-only');
    mkdirSync(path.join(adapterOnly, 'checkpoint-2'), { recursive: true });
    cpSync(path.join(FIXTURE, 'adapter_config.json'), path.join(adapterOnly, 'adapter_config.json'));
    const problem = (await hfRunProblem(adapterOnly)) ?? '';
    assert.match(problem, /trainer_state\.json is missing/);
    assert.match(problem, /1 checkpoint-<step> folder\(s\) have no trainer_state\.json either/);
    assert.match(problem, /it has adapter_config\.json: an adapter without its training history/);
    assert.equal(isHfRunFolder(adapterOnly), false);
    const broken = copyFixture(root, 'broken');
    writeFileSync(path.join(broken, 'trainer_state.json'), '{"log_history": [{"loss": 1');
    assert.match(
      (await hfRunProblem(broken)) ?? '',
      /cannot be imported: trainer_state\.json is not valid JSON/,
    );
  });
});
