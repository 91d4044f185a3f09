/** The tasks the dataset worker runs, and their request/result types (shared by the worker and its client). */
import { dedupePairs, type DedupeReport } from '../dedupe';
import { createSplit, type SplitFile, type SplitInput, type SplitOptions } from '../split';
import { ChatTokenizer } from '../tokenizer';
import { tokenStats, type TokenStats } from '../tokens';

export type WorkerRequest =
  | { task: 'dedupe'; pairs: { id: string; question: string; answer: string }[]; threshold: number }
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
  dedupe: DedupeReport;
  split: SplitFile;
  tokens: TokenStats & { seconds: number };
}

export type ProgressReporter = (done: number, total: number) => void;

export async function runWorkerTask(
  request: WorkerRequest,
  onProgress: ProgressReporter = () => undefined,
): Promise<WorkerResults[keyof WorkerResults]> {
  switch (request.task) {
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
