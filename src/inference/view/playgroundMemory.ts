import type {
  PlaygroundColumn,
  PlaygroundDecoding,
  PlaygroundPair,
  PlaygroundSide,
} from '../../protocol/playground';
import type { QuantizationScheme } from '../../protocol/trainer/onnxManifest';
import { setting } from '../../vscode/settings';
import type { GroundingMemory } from '../grounding';
import { idleColumn } from '../playgroundColumns';
import type { PlaygroundAnswer } from '../playgroundRecord';

export const SIDES: readonly PlaygroundSide[] = ['base', 'adapter'];

/** What the panel remembers across reloads: the checkpoint, the last question and answers. */
export interface Remembered {
  /** `precision`: the checkpoint export picked (int8/int4, null fp32); absent: fp32 when there is one. */
  target: { checkpoint: string; runDir: string; model: string; precision?: QuantizationScheme | null } | null;
  question: string;
  pair: PlaygroundPair | null;
  columns: Record<PlaygroundSide, PlaygroundColumn>;
  decoding: PlaygroundDecoding | null;
  exportDirs: Record<PlaygroundSide, string | null>;
  /** Absent in what older versions remembered: grounding off. */
  grounding?: GroundingMemory;
}

export function defaultDecoding(): PlaygroundDecoding {
  const seed = setting('playground.seed');
  return {
    maxNewTokens: setting('playground.maxNewTokens'),
    temperature: setting('playground.temperature'),
    topP: setting('playground.topP'),
    seed: seed < 0 ? null : seed,
  };
}

/** What the panel showed before the reload, or an empty panel; a reload stops any generation. */
export function restoreMemory(stored: Remembered | undefined): Remembered {
  const memory = stored ?? {
    target: null,
    question: '',
    pair: null,
    columns: { base: idleColumn(), adapter: idleColumn() },
    decoding: null,
    exportDirs: { base: null, adapter: null },
  };
  // What was streaming is shown as it was left.
  for (const side of SIDES) {
    const column = memory.columns[side];
    if (column.status === 'loading' || column.status === 'generating')
      memory.columns[side] = { ...column, status: 'finished', reason: 'cancelled' };
  }
  return memory;
}

/** Both sides' answers as saved for grading; an error unless both finished (or were stopped). */
export function finishedAnswers(memory: Remembered): Record<PlaygroundSide, PlaygroundAnswer> {
  const answers = {} as Record<PlaygroundSide, PlaygroundAnswer>;
  for (const side of SIDES) {
    const column = memory.columns[side];
    if (column.status !== 'finished' || !column.reason)
      throw new Error('Wait until both models have answered (or stop them) before saving for grading.');
    answers[side] = {
      text: column.text,
      tokenCount: column.tokenCount,
      reason: column.reason,
      timeToFirstTokenMs: column.timeToFirstTokenMs ?? 0,
      tokensPerSecond: column.tokensPerSecond ?? 0,
      exportDir: memory.exportDirs[side] ?? '',
    };
  }
  return answers;
}
