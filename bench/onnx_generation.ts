/**
 * Benchmark: greedy generation on SmolLM2-135M-Instruct against llama.cpp (node-llama-cpp on the Q4_1 GGUF the
 * local model came from), for each ONNX export by export-onnx (fp32, and the int8 / int4 quantised ones when
 * present) on three sides: the Playground's engine (worker thread, src/inference), a bare onnxruntime-node loop
 * (bench/onnx_bare_loop.ts: the least any loop of ours could cost) and Python onnxruntime
 * (bench/onnx_python_generation.py). Same prompt through the same chat template, same 64 greedy tokens (fewer if the
 * model ends its turn first), 2 threads, llama.cpp context 1024. tokens/s counts every generated token over the
 * whole generation, prefill included; time to first token is the prefill plus the first pick. The machine is shared:
 * every round runs every side once, in an order that rotates each round, and medians are compared.
 *
 * Exports: MEDQA_BENCH_ONNX_EXPORT (fp32), MEDQA_BENCH_ONNX_INT8 and MEDQA_BENCH_ONNX_INT4; by default the SmolLM2
 * test exports of test/unit/inference/testExports.ts (made and cached on first use); `none` leaves one out.
 * MEDQA_BENCH_ROUNDS (default 3).
 * Targets (issue 20): the engine's best configuration ≥ 0.8× llama.cpp's tokens/s, time to first token ≤ 1.2×.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChatPrompt } from '../src/inference/chatPrompt';
import { InferenceEngine } from '../src/inference/engine';
import type { GenerationDetail } from '../src/protocol/inferenceWorker';
import { quantizedTestExport, testExport, testPython } from '../test/unit/inference/testExports';
import { LlamaCppSide } from './llama_cpp_generation';
import { BareLoop } from './onnx_bare_loop';
import { median, repoRoot, report, runIfMain } from './support';

const PROMPT = 'What are the symptoms of glaucoma?';
const MAX_NEW_TOKENS = 64;
const THREADS = 2;
const CONTEXT = 1024;
const SETTLE_MS = 500;

interface Measure {
  tokensPerSecond: number;
  ttftMs: number;
  ids: number[];
}

interface Side {
  name: string;
  /** The Playground's engine: what the targets are about. */
  engine?: boolean;
  run(): Promise<Measure>;
}

function measure(ids: number[], ttftMs: number, totalMs: number): Measure {
  return { ids, ttftMs, tokensPerSecond: ids.length / (totalMs / 1000) };
}

function pythonSide(exportDir: string): Measure {
  const script = path.join(repoRoot, 'bench', 'onnx_python_generation.py');
  const args = [
    script,
    '--export',
    exportDir,
    '--prompt',
    PROMPT,
    '--max-new-tokens',
    String(MAX_NEW_TOKENS),
  ];
  args.push('--threads', String(THREADS), '--no-torch');
  const result = spawnSync(testPython(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`onnx_python_generation.py failed (${result.status}): ${result.stderr.slice(-2000)}`);
  }
  const lines = result.stdout.trim().split('\n');
  const side = (JSON.parse(lines[lines.length - 1]) as { onnxruntime: Record<string, number | number[]> })
    .onnxruntime;
  const ids = side.token_ids as number[];
  return measure(ids, side.time_to_first_token_ms as number, (side.seconds as number) * 1000);
}

async function engineSide(
  engine: InferenceEngine,
  exportDir: string,
  maxNewTokens = MAX_NEW_TOKENS,
): Promise<Measure> {
  let detail: GenerationDetail | undefined;
  const handle = engine.generateWithDetail(
    exportDir,
    [{ role: 'user', content: PROMPT }],
    { maxNewTokens, temperature: 0, topP: 1 },
    () => undefined,
    (value) => (detail = value),
  );
  const finished = await handle.done;
  // tokenIds leave out the stop token; the steps count it, as the other sides do.
  const ids = [...detail!.tokenIds, ...Array<number>(detail!.steps - detail!.tokenIds.length).fill(-1)];
  return measure(ids, finished.timeToFirstTokenMs, detail!.generationMs);
}

function exportsToRun(): [string, string][] {
  const quantized = (scheme: 'int8' | 'int4'): string => {
    const given = process.env[`MEDQA_BENCH_ONNX_${scheme.toUpperCase()}`];
    return given ?? quantizedTestExport('smollm2', scheme);
  };
  const found: [string, string][] = [
    ['fp32', process.env.MEDQA_BENCH_ONNX_EXPORT ?? testExport('smollm2')],
    ['int8', quantized('int8')],
    ['int4', quantized('int4')],
  ];
  // `none` leaves a configuration out.
  return found.filter((entry) => entry[1] !== 'none');
}

async function sides(engine: InferenceEngine, cleanup: (() => Promise<void>)[]): Promise<Side[]> {
  const exports = exportsToRun();
  const prompt = await ChatPrompt.load(exports[0][1]);
  const promptIds = prompt.promptIds([{ role: 'user', content: PROMPT }]);
  const promptText = prompt.render([{ role: 'user', content: PROMPT }]);
  const stop = new Set(prompt.endOfTurnIds());
  const llama = await LlamaCppSide.load(THREADS);
  cleanup.push(() => llama.dispose());
  await llama.greedy(promptText, 2, CONTEXT);
  const list: Side[] = [
    {
      name: 'llama.cpp Q4_1 GGUF (node-llama-cpp 3.21.1)',
      run: async () => {
        const run = await llama.greedy(promptText, MAX_NEW_TOKENS, CONTEXT);
        if (run.promptTokens !== promptIds.length) {
          throw new Error(
            `llama.cpp read ${run.promptTokens} prompt tokens, the ONNX side ${promptIds.length}`,
          );
        }
        return measure(run.ids, run.ttftMs, run.totalMs);
      },
    },
  ];
  for (const [label, dir] of exports) {
    await engineSide(engine, dir, 2); // loads the export and warms onnxruntime up, as the other sides do
    const bare = await BareLoop.load(dir);
    cleanup.push(() => bare.dispose());
    await bare.greedy(promptIds, 2, stop);
    list.push(
      { name: `ONNX ${label}: Playground engine`, engine: true, run: () => engineSide(engine, dir) },
      {
        name: `ONNX ${label}: bare onnxruntime-node loop`,
        run: async () => {
          const run = await bare.greedy(promptIds, MAX_NEW_TOKENS, stop);
          return measure(run.ids, run.ttftMs, run.totalMs);
        },
      },
      { name: `ONNX ${label}: Python onnxruntime`, run: () => Promise.resolve(pythonSide(dir)) },
    );
  }
  return list;
}

export async function benchOnnxGeneration(
  rounds = Number(process.env.MEDQA_BENCH_ROUNDS ?? 3),
): Promise<boolean> {
  const engine = new InferenceEngine({ workerScript: path.join(repoRoot, 'out', 'inferenceWorker.js') });
  const cleanup: (() => Promise<void>)[] = [async () => engine.dispose()];
  const results = new Map<Side, Measure[]>();
  let list: Side[] = [];
  try {
    list = await sides(engine, cleanup);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < list.length; i++) {
        const side = list[(i + round) % list.length];
        // The previous side's threads may still spin-wait for work (llama.cpp's and onnxruntime's both do): the
        // side run right after llama.cpp lost 10-25 ms of time to first token to them before this pause.
        await sleep(SETTLE_MS);
        const run = await side.run();
        results.set(side, [...(results.get(side) ?? []), run]);
      }
    }
  } finally {
    for (const step of cleanup.reverse()) await step();
  }
  return summarise(list, results, rounds);
}

function summarise(list: Side[], results: Map<Side, Measure[]>, rounds: number): boolean {
  const rows = list.map((side) => {
    const runs = results.get(side)!;
    return {
      side,
      tps: median(runs.map((r) => r.tokensPerSecond)),
      ttft: median(runs.map((r) => r.ttftMs)),
      tokens: runs[0].ids.length,
    };
  });
  const [llama, ...onnx] = rows;
  process.stdout.write(
    `| configuration | tokens/s | × llama.cpp | time to first token (ms) | × llama.cpp | tokens |\n|---|---|---|---|---|---|\n`,
  );
  for (const row of rows) {
    process.stdout.write(
      `| ${row.side.name} | ${row.tps.toFixed(1)} | ${(row.tps / llama.tps).toFixed(2)} | ${row.ttft.toFixed(0)} | ` +
        `${(row.ttft / llama.ttft).toFixed(2)} | ${row.tokens} |\n`,
    );
  }
  const best = onnx.filter((row) => row.side.engine).sort((a, b) => b.tps - a.tps)[0];
  const speed = best.tps / llama.tps;
  const ttft = best.ttft / llama.ttft;
  const line =
    `best Playground configuration (${best.side.name}) ${best.tps.toFixed(1)} tokens/s vs llama.cpp ` +
    `${llama.tps.toFixed(1)} → ${speed.toFixed(2)}× (target ≥ 0.8×); time to first token ${best.ttft.toFixed(0)} ms ` +
    `vs ${llama.ttft.toFixed(0)} ms → ${ttft.toFixed(2)}× (target ≤ 1.2×); medians of ${rounds} alternating rounds, ` +
    `${THREADS} threads`;
  return report('onnx generation', line, speed >= 0.8 && ttft <= 1.2);
}

runIfMain('onnx_generation', benchOnnxGeneration);
