/**
 * `medqa data …`: stats, dedupe, split, export and tokens over a dataset path, with the same core the extension uses.
 * Results on stdout (text or --json), progress and problems on stderr. Exit codes: 0 ok, 1 failure, 2 bad usage.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import * as path from 'node:path';
import { dedupePairs } from './dedupe';
import { assertOutsideSources, exportSplit } from './export';
import { sha256, sourceHash } from './hash';
import { importDataset } from './import';
import type { ImportResult } from './model';
import { OverlayStore, applyOverlay, type CuratedPair } from './overlay';
import { createSplit, parseRatios, readSplit, writeSplit } from './split';
import { computeStats, type CountRow } from './stats';
import { ChatTokenizer } from './tokenizer';
import { tokenStats } from './tokens';
import { SETTING_DEFAULTS } from '../settings/schema';
import { countProblems } from './readers/problemLog';

class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

const workspaceOption: Options = {
  workspace: { type: 'string', short: 'w' },
};

function parse(
  args: string[],
  options: Options,
  usage: string,
): { path: string; values: Record<string, unknown> } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nUsage: ${usage}`);
  }
  if (parsed.values.help) throw new UsageError(`Usage: ${usage}`);
  if (parsed.positionals.length !== 1) throw new UsageError(`expected one dataset path\nUsage: ${usage}`);
  return { path: parsed.positionals[0], values: parsed.values };
}

function numberOption(value: unknown, name: string, check: (n: number) => boolean, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || !check(parsed)) throw new UsageError(`invalid --${name}: ${String(value)}`);
  return parsed;
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function load(
  source: string,
  workspace: unknown,
): Promise<{ result: ImportResult; curated: CuratedPair[]; overlayHash: string }> {
  const started = Date.now();
  let lastReport = 0;
  const result = await importDataset(source, {
    onProgress: ({ filesDone, filesTotal }) => {
      if (process.stderr.isTTY && Date.now() - lastReport > 200) {
        lastReport = Date.now();
        process.stderr.write(`\rReading ${filesDone}/${filesTotal} files…`);
      }
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  progress(
    `Imported ${result.pairs.length} pairs from ${result.filesRead} files in ${Date.now() - started} ms.`,
  );
  for (const problem of result.problems.slice(0, 20)) {
    const where = problem.line ? `:${problem.line}${problem.column ? `:${problem.column}` : ''}` : '';
    progress(`  ${problem.kind}: ${problem.file}${where}: ${problem.message}`);
  }
  const total = countProblems(result.problems);
  if (total > 20) progress(`  … and ${total - 20} more problems`);
  const overlay = typeof workspace === 'string' ? await OverlayStore.load(workspace) : undefined;
  const curated = result.pairs.map((pair) => (overlay ? overlay.apply(pair) : applyOverlay(pair, undefined)));
  return { result, curated, overlayHash: overlay ? overlay.hash() : sha256('') };
}

function table(rows: Record<string, CountRow>): string {
  let width = 8;
  for (const key of Object.keys(rows)) width = Math.max(width, key.length);
  const lines = Object.entries(rows).map(
    ([key, row]) =>
      `  ${key.padEnd(width)}  ${String(row.pairs).padStart(7)}  ${String(row.answered).padStart(8)}  ${String(row.unanswered).padStart(10)}`,
  );
  return [
    `  ${''.padEnd(width)}  ${'pairs'.padStart(7)}  ${'answered'.padStart(8)}  ${'unanswered'.padStart(10)}`,
    ...lines,
  ].join('\n');
}

async function stats(args: string[]): Promise<number> {
  const usage = 'medqa data stats <path> [--json] [--workspace DIR]';
  const { path: source, values } = parse(args, { json: { type: 'boolean' }, ...workspaceOption }, usage);
  const { result, curated } = await load(source, values.workspace);
  const summary = computeStats(values.workspace ? curated : result.pairs, result.problems);
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...summary, problems: result.problems }, null, 2) + '\n');
  } else {
    const lines = [
      `Pairs: ${summary.pairs} (answered ${summary.answered}, unanswered ${summary.unanswered}); import problems: ${summary.errors}`,
      ...(summary.excluded !== undefined
        ? [`Curation: ${summary.excluded} excluded, ${summary.flagged} flagged, ${summary.edited} edited`]
        : []),
      '',
      'By collection:',
      table(summary.byCollection),
      '',
      'By question type:',
      table(summary.byQtype),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  return 0;
}

async function dedupe(args: string[]): Promise<number> {
  const usage = 'medqa data dedupe <path> [--json] [--threshold 0.8] [--shingle-size 3] [--workspace DIR]';
  const { path: source, values } = parse(
    args,
    {
      json: { type: 'boolean' },
      threshold: { type: 'string' },
      'shingle-size': { type: 'string' },
      ...workspaceOption,
    },
    usage,
  );
  const threshold = numberOption(
    values.threshold,
    'threshold',
    (n) => n > 0 && n <= 1,
    SETTING_DEFAULTS['dedupe.threshold'],
  );
  const shingleSize = numberOption(
    values['shingle-size'],
    'shingle-size',
    (n) => Number.isInteger(n) && n >= 1,
    3,
  );
  const { curated } = await load(source, values.workspace);
  const started = Date.now();
  const report = dedupePairs(curated, { threshold, shingleSize });
  progress(`Compared questions and answers in ${Date.now() - started} ms.`);
  if (values.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return 0;
  }
  const lines: string[] = [];
  for (const [label, result] of [
    ['Questions', report.questions],
    ['Answers', report.answers],
  ] as const) {
    const exact = result.groups.filter((group) => group.kind === 'exact');
    const near = result.groups.filter((group) => group.kind === 'near');
    lines.push(
      `${label}: ${result.items} texts, ${result.distinct} distinct after normalisation; ` +
        `${result.exactDuplicates} exact duplicates; ${exact.length} exact groups, ${near.length} groups with near-duplicates ` +
        `(Jaccard ≥ ${threshold} over ${shingleSize}-word shingles)`,
    );
    for (const group of result.groups.slice(0, 10)) {
      lines.push(
        `  ${group.kind.padEnd(5)} ×${group.ids.length}  "${group.sample.slice(0, 80)}"  e.g. ${group.ids.slice(0, 3).join(', ')}`,
      );
    }
    lines.push('');
  }
  process.stdout.write(lines.join('\n'));
  return 0;
}

async function split(args: string[]): Promise<number> {
  const usage =
    'medqa data split <path> --out DIR [--seed 42] [--ratios 81,9,10] [--threshold 0.8] [--workspace DIR]';
  const { path: source, values } = parse(
    args,
    {
      seed: { type: 'string' },
      ratios: { type: 'string' },
      out: { type: 'string' },
      threshold: { type: 'string' },
      ...workspaceOption,
    },
    usage,
  );
  if (typeof values.out !== 'string') throw new UsageError(`--out DIR is required\nUsage: ${usage}`);
  const seed = numberOption(
    values.seed,
    'seed',
    (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32,
    SETTING_DEFAULTS['split.seed'],
  );
  const threshold = numberOption(
    values.threshold,
    'threshold',
    (n) => n > 0 && n <= 1,
    SETTING_DEFAULTS['dedupe.threshold'],
  );
  let ratios: [number, number, number];
  try {
    ratios = parseRatios(
      typeof values.ratios === 'string' ? values.ratios : SETTING_DEFAULTS['split.ratios'],
    );
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  assertOutsideSources(values.out, [source]);
  const { result, curated, overlayHash } = await load(source, values.workspace);
  const splitFile = createSplit(
    curated,
    { sourceHash: sourceHash(result.pairs), overlayHash },
    { seed, ratios, threshold },
  );
  const file = path.join(values.out, 'split.json');
  await writeSplit(file, splitFile);
  const c = splitFile.counts;
  progress(`Wrote ${file}`);
  process.stdout.write(
    `train ${c.train}, validation ${c.validation}, test ${c.test} (excluded ${c.excluded}, unanswered ${c.unanswered}); ` +
      `${splitFile.groups} duplicate groups kept within one split; seed ${seed}\n`,
  );
  return 0;
}

async function exportCommand(args: string[]): Promise<number> {
  const usage = 'medqa data export <path> --split-file F --out DIR [--system-prompt S] [--workspace DIR]';
  const { path: source, values } = parse(
    args,
    {
      'split-file': { type: 'string' },
      out: { type: 'string' },
      'system-prompt': { type: 'string' },
      ...workspaceOption,
    },
    usage,
  );
  if (typeof values['split-file'] !== 'string' || typeof values.out !== 'string') {
    throw new UsageError(`--split-file and --out are required\nUsage: ${usage}`);
  }
  assertOutsideSources(values.out, [source]);
  const splitFile = await readSplit(values['split-file']);
  const { result, curated, overlayHash } = await load(source, values.workspace);
  const exported = await exportSplit(
    curated,
    splitFile,
    values.out,
    { sourceHash: sourceHash(result.pairs), overlayHash },
    {
      systemPrompt: typeof values['system-prompt'] === 'string' ? values['system-prompt'] : undefined,
    },
  );
  if (exported.staleSource)
    progress('Warning: the source data changed since the split was made; consider re-splitting.');
  if (exported.unassigned.length)
    progress(
      `Warning: ${exported.unassigned.length} answered pairs are not in the split file and were left out.`,
    );
  if (exported.missing.length)
    progress(`Warning: ${exported.missing.length} pairs of the split file no longer exist in the source.`);
  const c = exported.manifest.counts;
  progress(`Wrote ${path.join(values.out, 'manifest.json')}`);
  process.stdout.write(
    `train ${c.train}, validation ${c.validation}, test ${c.test} (excluded ${c.excluded}, unanswered ${c.unanswered})\n`,
  );
  return 0;
}

async function tokens(args: string[]): Promise<number> {
  const usage =
    'medqa data tokens <path> --tokenizer DIR [--max-length 128] [--system-prompt S] [--json] [--workspace DIR]';
  const { path: source, values } = parse(
    args,
    {
      tokenizer: { type: 'string' },
      'max-length': { type: 'string' },
      'system-prompt': { type: 'string' },
      json: { type: 'boolean' },
      ...workspaceOption,
    },
    usage,
  );
  if (typeof values.tokenizer !== 'string')
    throw new UsageError(`--tokenizer DIR is required\nUsage: ${usage}`);
  const maxLength = numberOption(
    values['max-length'],
    'max-length',
    (n) => Number.isInteger(n) && n >= 1,
    128,
  );
  const tokenizer = await ChatTokenizer.load(values.tokenizer);
  const { curated } = await load(source, values.workspace);
  const started = Date.now();
  const result = await tokenStats(
    tokenizer,
    curated.filter((pair) => !pair.excluded),
    {
      maxLength,
      systemPrompt: typeof values['system-prompt'] === 'string' ? values['system-prompt'] : undefined,
    },
  );
  progress(`Tokenised ${result.examples} examples in ${Date.now() - started} ms.`);
  if (values.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return 0;
  }
  const row = (label: string, s: typeof result.total): string =>
    `  ${label.padEnd(7)} min ${s.min}  mean ${s.mean}  p50 ${s.p50}  p90 ${s.p90}  p95 ${s.p95}  p99 ${s.p99}  max ${s.max}`;
  process.stdout.write(
    [
      `Examples: ${result.examples} (chat template, enable_thinking=false)`,
      row('prompt', result.prompt),
      row('answer', result.answer),
      row('total', result.total),
      `Truncated at max_length ${maxLength}: ${result.truncated} (${(result.truncatedShare * 100).toFixed(1)}%), ` +
        `${(result.answerTokensCutShare * 100).toFixed(1)}% of answer tokens cut`,
    ].join('\n') + '\n',
  );
  return 0;
}

function guarded(command: (args: string[]) => Promise<number>): (args: string[]) => Promise<number> {
  return async (args) => {
    try {
      return await command(args);
    } catch (error) {
      process.stderr.write(`medqa data: ${(error as Error).message}\n`);
      return error instanceof UsageError ? 2 : 1;
    }
  };
}

export const dataCommands: Record<string, (args: string[]) => Promise<number>> = {
  stats: guarded(stats),
  dedupe: guarded(dedupe),
  split: guarded(split),
  export: guarded(exportCommand),
  tokens: guarded(tokens),
};
