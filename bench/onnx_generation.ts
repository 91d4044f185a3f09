/**
 * Benchmark: greedy generation on one ONNX export (SmolLM2-135M-Instruct by export-onnx, or MEDQA_BENCH_ONNX_EXPORT)
 * with the Node engine (worker thread, transformers.js on onnxruntime-node) against Python onnxruntime on the same
 * graph (target ≥ 0.9× its tokens/s) and PyTorch `generate` on the model it came from, both measured in this run
 * by bench/onnx_python_generation.py. Same prompt, same chat template, same number of tokens; tokens/s counts every
 * generated token over the whole generation (prefill included), as the Python side does. The machine is shared,
 * so Node and Python runs alternate and medians are compared.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { InferenceEngine } from '../src/inference/engine';
import type { GenerationDetail } from '../src/protocol/inferenceWorker';
import { testExport, testPython } from '../test/unit/inference/testExports';
import { median, repoRoot, report, runIfMain } from './support';

interface SideResult {
  tokens_per_s: number;
  time_to_first_token_ms: number;
  tokens: number;
  token_ids: number[];
}

interface PythonResult {
  onnxruntime: SideResult;
  torch: SideResult;
}

const PROMPT = 'What is (are) Glaucoma ?';
const MAX_NEW_TOKENS = 64;

function pythonSide(exportDir: string): PythonResult {
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
  const result = spawnSync(testPython(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`onnx_python_generation.py failed (${result.status}): ${result.stderr.slice(-2000)}`);
  }
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as PythonResult;
}

async function nodeSide(
  engine: InferenceEngine,
  exportDir: string,
  maxNewTokens = MAX_NEW_TOKENS,
): Promise<{ tokensPerSecond: number; ttftMs: number; detail: GenerationDetail }> {
  let detail: GenerationDetail | undefined;
  const handle = engine.generateWithDetail(
    exportDir,
    [{ role: 'user', content: PROMPT }],
    { maxNewTokens, temperature: 0, topP: 1 },
    () => undefined,
    (value) => (detail = value),
  );
  const finished = await handle.done;
  return {
    tokensPerSecond: detail!.steps / (detail!.generationMs / 1000),
    ttftMs: finished.timeToFirstTokenMs,
    detail: detail!,
  };
}

export async function benchOnnxGeneration(rounds = 3): Promise<boolean> {
  const exportDir = process.env.MEDQA_BENCH_ONNX_EXPORT ?? testExport('smollm2');
  const engine = new InferenceEngine({ workerScript: path.join(repoRoot, 'out', 'inferenceWorker.js') });
  const node: Awaited<ReturnType<typeof nodeSide>>[] = [];
  const python: PythonResult[] = [];
  try {
    await nodeSide(engine, exportDir, 2); // loads the export and warms onnxruntime up, as the Python side does
    for (let round = 0; round < rounds; round++) {
      python.push(pythonSide(exportDir));
      node.push(await nodeSide(engine, exportDir));
    }
  } finally {
    await engine.dispose();
  }
  const ours = median(node.map((r) => r.tokensPerSecond));
  const ort = median(python.map((r) => r.onnxruntime.tokens_per_s));
  const torch = median(python.map((r) => r.torch.tokens_per_s));
  const ttft = median(node.map((r) => r.ttftMs));
  const ortTtft = median(python.map((r) => r.onnxruntime.time_to_first_token_ms));
  const torchTtft = median(python.map((r) => r.torch.time_to_first_token_ms));
  // The answers must be the same tokens, or the speeds compare different work.
  const ids = node[0].detail.tokenIds;
  const same = python.every((r) => r.onnxruntime.token_ids.slice(0, ids.length).join() === ids.join());
  const ratio = ours / ort;
  const line =
    `${ours.toFixed(1)} tokens/s vs Python onnxruntime ${ort.toFixed(1)} → ${ratio.toFixed(2)}× (target ≥ 0.9×), ` +
    `vs PyTorch ${torch.toFixed(1)} → ${(ours / torch).toFixed(2)}×; time to first token ${ttft.toFixed(0)} ms ` +
    `(onnxruntime ${ortTtft.toFixed(0)} ms, PyTorch ${torchTtft.toFixed(0)} ms); ${node[0].detail.steps} tokens, ` +
    `medians of ${rounds} alternating runs; ${same ? 'same token ids' : 'TOKEN IDS DIFFER'}`;
  return report('onnx generation', line, ratio >= 0.9 && same);
}

runIfMain('onnx_generation', benchOnnxGeneration);
