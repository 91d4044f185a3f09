/** The tasks the dataset worker runs, and their request/result types (shared by the worker and its client). */
import { dedupePairs, type DedupeInput, type DedupeReport } from '../dedupe';
import type { QaPair } from '../model';
import { importDatasets, type MultiImportResult } from '../import';
import { createSplit, type SplitFile, type SplitInput, type SplitOptions } from '../split';
import { ChatTokenizer } from '../tokenizer';
import { tokenStats, type TokenStats } from '../tokens';

export type WorkerRequest =
  | { task: 'import'; sources: string[]; maxFileBytes: number }
  | { task: 'dedupe'; pairs: DedupeInput[]; threshold: number }
  | {
      task: 'split';
      pairs: SplitInput[];
      hashes: { sourceHash: string; overlayHash: string };
      options: Omit<SplitOptions, 'signal'>;
    }
  | {
      task: 'tokens';
      tokenizerDir: string;
      pairs: { id: string; question: string; answer: string }[];
      maxLength: number;
      systemPrompt?: string;
    };

export interface WorkerResults {
  import: MultiImportResult;
  dedupe: DedupeReport;
  split: SplitFile;
  tokens: TokenStats & { seconds: number };
}

type CuratedPair = Pick<QaPair, 'id' | 'qtype' | 'question' | 'answer' | 'document'> & { excluded?: unknown };

/**
 * What dedupe and the split need of a pair: besides the text, the qtype and the document's focus, which tell
 * templated questions about different subjects apart (without them every "What to do in case of overdose of X?" is
 * one group). Both commands build their requests here so neither can drop a field the other sends.
 */
export function dedupeInput(pair: CuratedPair): DedupeInput {
  const focus = pair.document.focus;
  return {
    id: pair.id,
    qtype: pair.qtype,
    question: pair.question,
    answer: pair.answer,
    ...(focus ? { document: { focus } } : {}),
  };
}

export function dedupeRequest(
  pairs: readonly CuratedPair[],
  threshold: number,
): Extract<WorkerRequest, { task: 'dedupe' }> {
  return { task: 'dedupe', threshold, pairs: pairs.map(dedupeInput) };
}

export function splitRequest(
  pairs: readonly CuratedPair[],
  hashes: { sourceHash: string; overlayHash: string },
  options: Omit<SplitOptions, 'signal'>,
): Extract<WorkerRequest, { task: 'split' }> {
  const inputs: SplitInput[] = pairs.map((pair) => ({
    ...dedupeInput(pair),
    qtype: pair.qtype,
    ...(pair.excluded ? { excluded: true } : {}),
  }));
  return { task: 'split', pairs: inputs, hashes, options };
}

/** `detail` is a task's own count (pairs read, for an import). */
export type ProgressReporter = (done: number, total: number, detail?: number) => void;

export async function runWorkerTask(
  request: WorkerRequest,
  onProgress: ProgressReporter = () => undefined,
): Promise<WorkerResults[keyof WorkerResults]> {
  switch (request.task) {
    case 'import':
      // Parsing runs here, off the extension host's thread; big CSV/JSONL files stream through in chunks.
      return importDatasets(request.sources, {
        maxFileBytes: request.maxFileBytes,
        onProgress: (p) => onProgress(p.filesDone, p.filesTotal, p.pairs),
      });
    case 'dedupe': {
      const report = dedupePairs(request.pairs, { threshold: request.threshold });
      // Verified pair lists are only collected on request; drop them anyway so the reply stays small.
      delete report.questions.pairs;
      delete report.answers.pairs;
      return report;
    }
    case 'split':
      return createSplit(request.pairs, request.hashes, request.options);
    case 'tokens': {
      const started = performance.now();
      const tokenizer = await ChatTokenizer.load(request.tokenizerDir);
      const stats = await tokenStats(tokenizer, request.pairs, {
        maxLength: request.maxLength,
        ...(request.systemPrompt ? { systemPrompt: request.systemPrompt } : {}),
        onProgress,
      });
      return { ...stats, seconds: (performance.now() - started) / 1000 };
    }
  }
}
