/**
 * `npm run bench`: runs the three dataset benchmarks in one process and exits non-zero when a target is missed.
 * Each prints a ratio against a reference measured in the same run (see bench/import.ts, tokens.ts, dedupe.ts).
 */
import { benchDedupe } from './dedupe';
import { benchGrades } from './grades';
import { benchImport } from './import';
import { benchOnnxGeneration } from './onnx_generation';
import { benchTokens } from './tokens';

async function main(): Promise<number> {
  const results = [
    await benchImport(),
    await benchTokens(),
    await benchDedupe(),
    await benchOnnxGeneration(),
    await benchGrades(),
  ];
  return results.every(Boolean) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(2);
  },
);
