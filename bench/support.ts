/**
 * Shared bits of the benchmarks: repository paths, the Python interpreter for the reference implementations,
 * medians, and the one-line result format ("name: ours vs reference → ratio (target)").
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../test/support/paths';

export { repoRoot, requireShared, sharedDir } from '../test/support/paths';

/** The repository's .venv Python when present (it has `tokenizers`), else python3. */
export function python(): string {
  const venv = path.join(repoRoot, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}

/** Runs a reference script that prints one JSON line as its last output line. */
export function runPython<T>(script: string, args: string[]): T {
  const result = spawnSync(python(), [path.join(repoRoot, 'bench', script), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`${script} failed (${result.status}): ${result.stderr || result.error?.message}`);
  }
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

/** Prints the result line and returns whether every target was met. */
export function report(name: string, line: string, ok: boolean): boolean {
  process.stdout.write(`${ok ? 'PASS' : 'MISS'} ${name}: ${line}\n`);
  return ok;
}

/**
 * Runs `bench` when this bundle was started directly (`node out/bench/<name>.js`). `require.main === module` cannot
 * tell: bench/all.ts bundles every benchmark into one file.
 */
export function runIfMain(name: string, bench: () => Promise<boolean>): void {
  if (path.basename(process.argv[1] ?? '', '.js') !== name) return;
  bench().then(
    (ok) => process.exit(ok ? 0 : 1),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(2);
    },
  );
}
