/**
 * Benchmark (b): token counts of every MedQuAD answer with the real Qwen3 tokenizer. Target: ≥ 0.8× the throughput
 * of Rust `tokenizers` used from Python (its multi-threaded encode_batch, the faster of its two ways) on the same
 * texts, measured in this run. Each of our runs uses a fresh ChatTokenizer, so the per-piece memo starts empty.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { importDataset } from '../src/dataset/import';
import { ChatTokenizer } from '../src/dataset/tokenizer';
import { median, report, requireShared, runIfMain, runPython, seconds } from './support';

interface PythonResult {
  batch: number[];
  loop: number[];
  tokens: number;
}

export async function benchTokens(runs = 3): Promise<boolean> {
  const tokenizerDir = requireShared('models/qwen3-tokenizer');
  const { pairs } = await importDataset(requireShared('data/MedQuAD'));
  const answers = pairs.map((pair) => pair.answer).filter((answer) => answer !== '');
  const times: number[] = [];
  let tokens = 0;
  for (let run = 0; run < runs; run++) {
    const tokenizer = await ChatTokenizer.load(tokenizerDir);
    const started = performance.now();
    let total = 0;
    for (const answer of answers) total += tokenizer.count(answer);
    times.push(performance.now() - started);
    tokens = total;
  }
  // The library path on a sample, to show what the memoised path saves (and that it agrees).
  const sampleTokenizer = await ChatTokenizer.load(tokenizerDir);
  const sample = answers.slice(0, 1000);
  const libraryStarted = performance.now();
  let libraryTokens = 0;
  for (const answer of sample) libraryTokens += sampleTokenizer.countWithLibrary(answer);
  const libraryMs = ((performance.now() - libraryStarted) / sample.length) * answers.length;
  let sampleTokens = 0;
  for (const answer of sample) sampleTokens += sampleTokenizer.count(answer);

  const dir = mkdtempSync(path.join(tmpdir(), 'medqa-bench-'));
  let reference: PythonResult;
  try {
    const textsFile = path.join(dir, 'answers.json');
    writeFileSync(textsFile, JSON.stringify(answers));
    reference = runPython<PythonResult>('tokens_reference.py', [
      path.join(tokenizerDir, 'tokenizer.json'),
      textsFile,
      String(runs),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ours = median(times);
  const batch = median(reference.batch) * 1000;
  const loop = median(reference.loop) * 1000;
  const ratio = batch / ours;
  const same = tokens === reference.tokens && sampleTokens === libraryTokens;
  return report(
    'token counts',
    `${answers.length} answers, ${tokens} tokens (Rust: ${reference.tokens}${same ? ', identical' : ', DIFFERENT'}); ` +
      `ours ${seconds(ours)} median vs Rust encode_batch ${seconds(batch)}, Rust encode loop ${seconds(loop)} → ` +
      `${ratio.toFixed(2)}× the batch throughput (target ≥ 0.8×), ${(loop / ours).toFixed(2)}× the loop; ` +
      `library without memo ≈ ${seconds(libraryMs)} (extrapolated from 1,000 answers)`,
    ratio >= 0.8 && same,
  );
}

runIfMain('tokens', () => benchTokens());
