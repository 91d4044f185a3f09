import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ChatPrompt } from '../../../src/inference/chatPrompt';
import { InferenceEngine } from '../../../src/inference/engine';
import type {
  DecodingSettings,
  GenerationDetail,
  GenerationEvent,
} from '../../../src/protocol/inferenceWorker';
import { repoRoot } from '../../support/paths';
import { medquadSample, quantizedTestExport, runPythonJson, testExport, type TestModel } from './testExports';

const workerScript = path.join(repoRoot, 'out', 'inferenceWorker.js');
const QUESTIONS = 20;
// 16 tokens keep the SmolLM2 reference (PyTorch and onnxruntime, 20 questions) near a minute on 2 CPU cores.
const MAX_NEW_TOKENS = 16;
const greedy: DecodingSettings = { maxNewTokens: MAX_NEW_TOKENS, temperature: 0, topP: 1 };

interface Reference {
  stop_ids: number[];
  prompts: number[][];
  onnxruntime: number[][];
  torch: number[][];
}

interface Run {
  events: GenerationEvent[];
  detail: GenerationDetail;
}

async function run(
  engine: InferenceEngine,
  exportDir: string,
  question: string,
  settings: DecodingSettings = greedy,
): Promise<Run> {
  const events: GenerationEvent[] = [];
  let detail: GenerationDetail | undefined;
  const handle = engine.generateWithDetail(
    exportDir,
    [{ role: 'user', content: question }],
    settings,
    (event) => events.push(event),
    (value) => (detail = value),
  );
  await handle.done;
  return { events, detail: detail! };
}

/** Cancels after 5 streamed tokens: the generation stops within one step, and a queued request never starts. */
async function cancelsWithinOneStep(engine: InferenceEngine, exportDir: string): Promise<void> {
  const events: GenerationEvent[] = [];
  let afterCancel = 0;
  let cancelled = false;
  let detail: GenerationDetail | undefined;
  const settings = { ...greedy, maxNewTokens: 400 };
  // A prompt that makes even SmolLM2 talk for long: the stop has to come from the cancel.
  const question = 'List the numbers from 1 to 300, one per line.';
  const handle = engine.generateWithDetail(
    exportDir,
    [{ role: 'user', content: question }],
    settings,
    (event) => {
      events.push(event);
      if (event.kind !== 'token') return;
      if (cancelled) afterCancel++;
      else if (event.tokenCount === 5) {
        handle.cancel();
        cancelled = true;
      }
    },
    (value) => (detail = value),
  );
  const queued = engine.generate(exportDir, [{ role: 'user', content: 'Q?' }], settings, () => undefined);
  queued.cancel();
  const finished = await handle.done;
  assert.equal(finished.reason, 'cancelled');
  assert.equal(finished.tokenCount, 5);
  assert.ok(afterCancel <= 1, `${afterCancel} token events after cancel`);
  // Forward passes: the 5 shown, at most one running when the flag was set, and at most one whose token
  // event was still on its way to this thread.
  assert.ok(detail!.steps <= 7, `${detail!.steps} steps for 5 tokens before cancel`);
  const skipped = await queued.done;
  assert.deepEqual([skipped.reason, skipped.tokenCount], ['cancelled', 0]);
}

for (const model of ['tiny-qwen3', 'smollm2'] as TestModel[]) {
  describe(`inference engine on a real export-onnx export (${model})`, function () {
    this.timeout(600_000);
    let exportDir: string;
    let questions: string[];
    let reference: Reference;
    let engine: InferenceEngine;
    let work: string | undefined;

    before(async () => {
      exportDir = testExport(model);
      questions = (await medquadSample(QUESTIONS)).map((pair) => pair.question);
      work = mkdtempSync(path.join(os.tmpdir(), 'medqa-engine-'));
      const request = path.join(work, 'request.json');
      writeFileSync(
        request,
        JSON.stringify({ export: exportDir, questions, max_new_tokens: MAX_NEW_TOKENS, torch: true }),
      );
      reference = runPythonJson<Reference>('greedy_reference.py', request);
      engine = new InferenceEngine({ workerScript });
    });
    after(async () => {
      await engine?.dispose();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it(`builds the prompt ids transformers builds for ${QUESTIONS} MedQuAD questions`, async () => {
      const prompt = await ChatPrompt.load(exportDir);
      for (const [i, question] of questions.entries()) {
        assert.deepEqual(
          prompt.promptIds([{ role: 'user', content: question }]),
          reference.prompts[i],
          question,
        );
      }
    });

    it(`greedy ids equal Python onnxruntime's and PyTorch's, token for token, on ${QUESTIONS} questions`, async () => {
      let tokens = 0;
      for (const [i, question] of questions.entries()) {
        const { events, detail } = await run(engine, exportDir, question);
        assert.deepEqual(
          detail.tokenIds,
          reference.onnxruntime[i],
          `onnxruntime, question ${i}: ${question}`,
        );
        assert.deepEqual(detail.tokenIds, reference.torch[i], `torch, question ${i}: ${question}`);
        const finished = events.at(-1)!;
        assert.equal(finished.kind, 'finished');
        if (finished.kind !== 'finished') return;
        assert.equal(finished.reason, detail.tokenIds.length < MAX_NEW_TOKENS ? 'eos' : 'length');
        assert.equal(finished.tokenCount, detail.tokenIds.length);
        // The streamed pieces add up to the final text; none ends inside a multi-byte character.
        const pieces = events.flatMap((e) => (e.kind === 'token' ? [e.text] : []));
        assert.equal(pieces.join(''), finished.text);
        assert.ok(pieces.every((piece) => !piece.endsWith('\uFFFD')));
        tokens += detail.tokenIds.length;
      }
      assert.ok(tokens > QUESTIONS, `only ${tokens} tokens generated in all`);
    });

    it('cancel stops generation within one token step, and a waiting request never starts', () =>
      cancelsWithinOneStep(engine, exportDir));

    it('keeps the calling thread responsive: event-loop delay p99 < 50 ms while the worker generates', async () => {
      const delay = monitorEventLoopDelay({ resolution: 5 });
      delay.enable();
      const { detail } = await run(engine, exportDir, 'List the numbers from 1 to 300, one per line.', {
        ...greedy,
        maxNewTokens: 96,
      });
      delay.disable();
      const p99 = delay.percentile(99) / 1e6;
      process.stdout.write(
        `      event-loop delay p99 ${p99.toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms over ${detail.steps} tokens\n`,
      );
      assert.ok(detail.steps > 10);
      assert.ok(p99 < 50, `p99 event-loop delay ${p99.toFixed(1)} ms`);
    });
  });
}

// Weight-only quantised exports (export-onnx --quantize) of the tiny Qwen3: the same engine loads the
// MatMulNBits (int4) and MatMulInteger (int8) graphs; its greedy ids are Python onnxruntime's on the same graph.
for (const scheme of ['int8', 'int4'] as const) {
  describe(`inference engine on an ${scheme} export (tiny-qwen3)`, function () {
    this.timeout(600_000);
    const count = 5;
    let exportDir: string;
    let questions: string[];
    let reference: Reference;
    let engine: InferenceEngine;
    let work: string | undefined;

    before(async () => {
      exportDir = quantizedTestExport('tiny-qwen3', scheme);
      questions = (await medquadSample(count)).map((pair) => pair.question);
      work = mkdtempSync(path.join(os.tmpdir(), 'medqa-engine-'));
      const request = path.join(work, 'request.json');
      writeFileSync(
        request,
        JSON.stringify({ export: exportDir, questions, max_new_tokens: MAX_NEW_TOKENS }),
      );
      reference = runPythonJson<Reference>('greedy_reference.py', request);
      engine = new InferenceEngine({ workerScript });
    });
    after(async () => {
      await engine?.dispose();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it(`loads, streams, reports its speed, and gives Python onnxruntime's greedy ids on ${count} questions`, async () => {
      for (const [i, question] of questions.entries()) {
        const { events, detail } = await run(engine, exportDir, question);
        if (i === 0) assert.equal(events[0].kind, 'loading');
        assert.deepEqual(detail.tokenIds, reference.onnxruntime[i], `question ${i}: ${question}`);
        const finished = events.at(-1)!;
        assert.equal(finished.kind, 'finished');
        if (finished.kind !== 'finished') return;
        const pieces = events.flatMap((e) => (e.kind === 'token' ? [e.text] : []));
        assert.equal(pieces.join(''), finished.text);
        assert.equal(finished.tokenCount, detail.tokenIds.length);
        if (detail.steps > 1) assert.ok(finished.tokensPerSecond > 0, 'no tokens/s reported');
      }
      const kinds = (await run(engine, exportDir, questions[0])).events.map((e) => e.kind);
      assert.deepEqual([kinds[0], kinds.at(-1)], ['started', 'finished']);
    });

    it('cancel stops generation within one token step, and a waiting request never starts', () =>
      cancelsWithinOneStep(engine, exportDir));
  });
}

describe('inference engine with two exports side by side', function () {
  this.timeout(600_000);
  it('interleaved requests for two exports each get their own model (sessions cached per folder)', async () => {
    const engine = new InferenceEngine({ workerScript });
    try {
      const tiny = testExport('tiny-qwen3');
      const smol = testExport('smollm2');
      const question = 'What are the symptoms of gout?';
      const alone = [await run(engine, tiny, question), await run(engine, smol, question)];
      const together = await Promise.all([
        run(engine, tiny, question),
        run(engine, smol, question),
        run(engine, tiny, question),
      ]);
      assert.deepEqual(together[0].detail.tokenIds, alone[0].detail.tokenIds);
      assert.deepEqual(together[1].detail.tokenIds, alone[1].detail.tokenIds);
      assert.deepEqual(together[2].detail.tokenIds, alone[0].detail.tokenIds);
      // Loaded once each: only the first request for a folder reports loading.
      const loads = [...alone, ...together].flatMap((r) => r.events.filter((e) => e.kind === 'loading'));
      assert.equal(loads.length, 2);
    } finally {
      await engine.dispose();
    }
  });
});

describe('inference engine sampling', function () {
  this.timeout(600_000);
  it('the same seed gives the same answer; another seed another one', async () => {
    const engine = new InferenceEngine({ workerScript });
    try {
      const smol = testExport('smollm2');
      const question = 'How is glaucoma treated?';
      const settings = (seed: number): DecodingSettings => ({
        maxNewTokens: 16,
        temperature: 1,
        topP: 0.95,
        seed,
      });
      const first = await run(engine, smol, question, settings(7));
      const again = await run(engine, smol, question, settings(7));
      const other = await run(engine, smol, question, settings(8));
      assert.deepEqual(again.detail.tokenIds, first.detail.tokenIds);
      assert.notDeepEqual(other.detail.tokenIds, first.detail.tokenIds);
    } finally {
      await engine.dispose();
    }
  });
});
