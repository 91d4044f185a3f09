/**
 * Token statistics of the training examples as the trainer builds them: prompt (chat template up to the assistant
 * header and empty think block) and answer (up to and including <|im_end|>) lengths, and how many examples a given
 * max_length would truncate (the reference recipe's 128 cuts most MedQuAD answers).
 */
import type { LengthRow, TokenLengths } from '../protocol/datasetPanel';
import type { QaPair } from './model';
import { ChatTemplateError, type ChatTokenizer } from './tokenizer';

export interface TokenStats extends TokenLengths {
  systemPrompt: string | null;
  tokenizer: string;
  fastPath: boolean;
  /** Ids of answered pairs the chat template cannot turn into a training example (e.g. an answer with </think>). */
  unrenderable: string[];
}

export interface TokenStatsOptions {
  maxLength?: number;
  systemPrompt?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface ExampleLength {
  id: string;
  prompt: number;
  answer: number;
  total: number;
}

function percentile(sorted: Int32Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function summarize(values: Int32Array): LengthRow {
  const sorted = values.slice().sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    min: sorted.length ? sorted[0] : 0,
    max: sorted.length ? sorted[sorted.length - 1] : 0,
    mean: sorted.length ? Math.round((sum / sorted.length) * 10) / 10 : 0,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

/** Lengths of one example rendered like the trainer does. */
export function exampleLength(
  tokenizer: ChatTokenizer,
  pair: Pick<QaPair, 'id' | 'question' | 'answer'>,
  systemPrompt?: string,
): ExampleLength {
  const { text, promptLength } = tokenizer.renderExample(pair.question, pair.answer, systemPrompt);
  const prompt = tokenizer.count(text.slice(0, promptLength));
  const total = tokenizer.count(text);
  return { id: pair.id, prompt, answer: total - prompt, total };
}

/** Statistics over answered pairs (pass curated, non-excluded pairs: what would be exported). */
export async function tokenStats(
  tokenizer: ChatTokenizer,
  pairs: readonly Pick<QaPair, 'id' | 'question' | 'answer'>[],
  options: TokenStatsOptions = {},
): Promise<TokenStats> {
  const maxLength = options.maxLength ?? 128;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new Error(`max length must be a positive integer`);
  const systemPrompt = options.systemPrompt?.trim() ? options.systemPrompt : undefined;
  const unrenderable: string[] = [];
  const lengths: ExampleLength[] = [];
  let sliceStart = performance.now();
  const candidates = pairs.filter((pair) => pair.answer.trim() !== '');
  for (let i = 0; i < candidates.length; i++) {
    try {
      lengths.push(exampleLength(tokenizer, candidates[i], systemPrompt));
    } catch (error) {
      if (!(error instanceof ChatTemplateError)) throw error;
      unrenderable.push(candidates[i].id);
    }
    if (performance.now() - sliceStart > 20) {
      // Yield so a host process stays responsive and can cancel.
      await new Promise((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
      options.onProgress?.(i + 1, candidates.length);
      sliceStart = performance.now();
    }
  }
  options.onProgress?.(candidates.length, candidates.length);
  const answered = lengths;
  const prompts = new Int32Array(answered.length);
  const answers = new Int32Array(answered.length);
  const totals = new Int32Array(answered.length);
  let truncated = 0;
  let answerLost = 0;
  let answerTokens = 0;
  let cutTokens = 0;
  for (let i = 0; i < answered.length; i++) {
    const length = answered[i];
    prompts[i] = length.prompt;
    answers[i] = length.answer;
    totals[i] = length.total;
    answerTokens += length.answer;
    if (length.total > maxLength) {
      truncated++;
      cutTokens += Math.min(length.answer, length.total - maxLength);
    }
    if (length.prompt >= maxLength) answerLost++;
  }
  const total = summarize(totals);
  const bucketSize = total.max > 2048 ? 128 : total.max > 512 ? 64 : 16;
  const counts = new Array<number>(Math.floor(total.max / bucketSize) + 1).fill(0);
  for (const value of totals) counts[Math.floor(value / bucketSize)]++;
  return {
    examples: answered.length,
    maxLength,
    systemPrompt: systemPrompt ?? null,
    prompt: summarize(prompts),
    answer: summarize(answers),
    total,
    truncated,
    truncatedShare: answered.length ? truncated / answered.length : 0,
    answerLost,
    answerTokensCutShare: answerTokens ? cutTokens / answerTokens : 0,
    histogram: { bucketSize, counts: answered.length ? counts : [] },
    tokenizer: tokenizer.dir,
    fastPath: tokenizer.usesFastPath,
    unrenderable,
  };
}
