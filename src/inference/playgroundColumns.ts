import type { ChatMessage } from '../protocol/chat';
import type { DecodingSettings, GenerationEvent } from '../protocol/inferenceWorker';
import type { PlaygroundColumn } from '../protocol/playground';

/** The engine's chat turns, settings and events: the worker protocol's types, under the names the playground uses. */
export type PlaygroundChatMessage = ChatMessage;
export type PlaygroundDecodingSettings = DecodingSettings;
export type PlaygroundEvent = GenerationEvent;

/** What the panel needs of the engine (InferenceEngine fits it; tests pass a fake). */
export interface PlaygroundGenerator {
  generate(
    exportDir: string,
    messages: PlaygroundChatMessage[],
    settings: PlaygroundDecodingSettings,
    onEvent: (event: PlaygroundEvent) => void,
  ): { cancel(): void; done: Promise<unknown> };
  dispose(): Promise<void>;
}

export function idleColumn(): PlaygroundColumn {
  return {
    status: 'idle',
    text: '',
    tokenCount: 0,
    timeToFirstTokenMs: null,
    tokensPerSecond: null,
    reason: null,
    error: null,
  };
}

/**
 * The column after one event. A token event carries the new piece of text (appended); `finished` carries the
 * whole answer, which replaces what streamed (the decoder may merge pieces differently at the end).
 */
export function applyEvent(column: PlaygroundColumn, event: PlaygroundEvent): PlaygroundColumn {
  switch (event.kind) {
    case 'loading':
      return { ...idleColumn(), status: 'loading' };
    case 'started':
      return { ...column, status: 'generating' };
    case 'token':
      return {
        ...column,
        status: 'generating',
        text: column.text + event.text,
        tokenCount: event.tokenCount,
      };
    case 'finished':
      return {
        ...column,
        status: 'finished',
        text: event.text,
        tokenCount: event.tokenCount,
        timeToFirstTokenMs: event.timeToFirstTokenMs,
        tokensPerSecond: event.tokensPerSecond,
        reason: event.reason,
      };
    case 'error':
      return { ...column, status: 'error', error: event.message };
  }
}

/** "12.3 tokens/s · first token after 250 ms · 64 tokens (length limit)" */
export function columnStats(column: PlaygroundColumn): string {
  if (column.status !== 'finished') return column.tokenCount ? `${column.tokenCount} tokens…` : '';
  const parts = [
    `${(column.tokensPerSecond ?? 0).toFixed(1)} tokens/s`,
    `first token after ${Math.round(column.timeToFirstTokenMs ?? 0)} ms`,
    `${column.tokenCount} tokens`,
  ];
  if (column.reason === 'length') parts.push('stopped at the token limit');
  if (column.reason === 'cancelled') parts.push('stopped');
  return parts.join(' · ');
}
