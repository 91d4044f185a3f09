import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hfRunProblem, isHfRunFolder, readHfRun } from '../../../src/runs/hfRun';
import {
  emptyTensorBoardLog,
  readEventFile,
  tensorboardEventFiles,
  tfRecords,
} from '../../../src/runs/tensorboardLog';
import { fixturesDir } from '../../support/paths';

/**
 * test/fixtures/hf-tensorboard-run/ is a real transformers Trainer + peft LoRA run on the tiny random Qwen3 (6 steps,
 * eval and checkpoints at 3 and 6) that logged through the Trainer's own TensorBoard callback
 * (report_to="tensorboard"), with every trainer_state.json deleted: its curves exist only as the event file in
 * runs/tiny/. trainer/tests/make_hf_run.py wrote it and, beside it, hf-tensorboard-run.scalars.json: every scalar as
 * TensorBoard's own EventAccumulator read it back. The extension's reader must agree with TensorBoard's.
 */
const FIXTURE = path.join(fixturesDir, 'hf-tensorboard-run');
type Expected = Record<string, { step: number; value: number; wall_time: number }[]>;
const expected = JSON.parse(readFileSync(`${FIXTURE}.scalars.json`, 'utf8')) as Expected;

describe('Hugging Face runs with TensorBoard logs only (no trainer_state.json)', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-tb-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("reads every scalar as TensorBoard's EventAccumulator does", () => {
    const files = tensorboardEventFiles(FIXTURE);
    assert.equal(files.length, 1);
    assert.equal(path.relative(FIXTURE, path.dirname(files[0])), path.join('runs', 'tiny'));
    const log = emptyTensorBoardLog();
    readEventFile(readFileSync(files[0]), log);
    assert.deepEqual([...log.scalars.keys()].sort(), Object.keys(expected).sort());
    for (const [tag, all] of Object.entries(expected)) {
      // One point per step: the Trainer logs train/epoch again with each evaluation and at the end (same value),
      // and a resumed run logs its steps again; the last point for a step wins.
      const points = [...new Map(all.map((p) => [p.step, p])).values()];
      const ours = log.scalars.get(tag)!;
      assert.deepEqual(
        ours.map((p) => p.step),
        points.map((p) => p.step),
        tag,
      );
      // TensorBoard keeps float32 scalars; both sides read the same 4 bytes.
      for (const [i, point] of points.entries()) {
        assert.ok(
          Math.abs(ours[i].value - point.value) <= 1e-6 * Math.abs(point.value),
          `${tag} @${point.step}`,
        );
        assert.ok(Math.abs(ours[i].wallTime - point.wall_time) < 1e-3, `${tag} wall time @${point.step}`);
      }
    }
    // The Trainer's arguments come as a text summary.
    assert.equal((JSON.parse(log.texts.get('args/text_summary')!) as { max_steps: number }).max_steps, 6);
  });

  it('imports the folder as a finished run: curves, evaluations, times, max steps and checkpoints', async () => {
    assert.equal(isHfRunFolder(FIXTURE), true);
    assert.equal(await hfRunProblem(FIXTURE), undefined);
    const read = await readHfRun(FIXTURE);
    const p = read.progress;
    assert.equal(read.stateFile, undefined);
    assert.deepEqual(read.tensorboardFiles, tensorboardEventFiles(FIXTURE));
    assert.equal(read.finished, true);
    assert.equal(p.terminal, 'run_finished');
    assert.deepEqual(
      p.steps.map((s) => [s.step, s.loss]),
      expected['train/loss'].map((s) => [s.step, Math.fround(s.value)]),
    );
    assert.deepEqual(
      p.steps.map((s) => s.time),
      expected['train/loss'].map((s) => s.wall_time * 1000),
    );
    assert.deepEqual(
      p.evals.map((e) => [e.step, e.evalLoss]),
      expected['eval/loss'].map((e) => [e.step, e.value]),
    );
    assert.equal(p.totalSteps, 6);
    assert.equal(p.finalStep, 6);
    assert.equal(p.bestEvalLoss, Math.min(...expected['eval/loss'].map((e) => e.value)));
    assert.ok(p.startedAt! <= p.steps[0].time && p.endedAt! >= p.steps.at(-1)!.time);
    assert.equal(p.config?.model_name_or_path !== undefined, true, 'the adapter config names the base model');
    assert.equal(p.adapterPath, FIXTURE);
  });

  it('a torn last record (a run still writing) ends the file without an error', () => {
    const bytes = readFileSync(tensorboardEventFiles(FIXTURE)[0]);
    const whole = [...tfRecords(bytes)].length;
    assert.equal([...tfRecords(bytes.subarray(0, bytes.length - 3))].length, whole - 1);
    const log = emptyTensorBoardLog();
    readEventFile(bytes.subarray(0, bytes.length - 3), log);
    assert.ok(log.scalars.get('train/loss')!.length >= 5);
  });

  it('says what is wrong with a folder whose event file is not one, or holds no Trainer curves', async () => {
    const broken = path.join(root, 'broken');
    cpSync(FIXTURE, broken, { recursive: true });
    const [file] = tensorboardEventFiles(broken);
    const bytes = readFileSync(file);
    bytes.fill(0xff, 12, 40); // garbage inside the first record
    writeFileSync(file, bytes);
    assert.match(
      (await hfRunProblem(broken))!,
      /runs\/tiny\/events\.out\.tfevents\.\S+ is not a readable TensorBoard event file/,
    );

    const empty = path.join(root, 'empty');
    cpSync(FIXTURE, empty, { recursive: true });
    const [emptyFile] = tensorboardEventFiles(empty);
    writeFileSync(emptyFile, Buffer.alloc(0));
    assert.match((await hfRunProblem(empty))!, /TensorBoard logs hold no train\/ or eval\/ curves/);

    const bare = path.join(root, 'bare');
    cpSync(FIXTURE, bare, { recursive: true });
    rmSync(path.join(bare, 'runs'), { recursive: true });
    assert.equal(isHfRunFolder(bare), false);
    assert.match((await hfRunProblem(bare))!, /and so are TensorBoard logs \(events\.out\.tfevents\.\*/);
    assert.deepEqual(readdirSync(FIXTURE).sort(), [
      'adapter_config.json',
      'checkpoint-3',
      'checkpoint-6',
      'runs',
      'tokenizer_config.json',
    ]);
  });
});
