/**
 * Host ⇄ inference worker messages (`out/inferenceWorker.js`, a `worker_threads` worker). Types only: the engine
 * (`src/inference/engine.ts`) and the worker (`src/inference/worker.ts`) both import this file. docs/protocol.md
 * describes the exchange.
 */
import type { ChatMessage } from './chat';

export type { ChatMessage };

export interface DecodingSettings {
  maxNewTokens: number;
  /** 0 = greedy (argmax); above 0, multinomial sampling at this temperature. */
  temperature: number;
  /** Nucleus sampling: the smallest set of tokens whose probabilities add up to topP (1 = all). */
  topP: number;
  /** Seeds the sampler, so the same seed, prompt and settings give the same text. */
  seed?: number;
  /** Qwen3's thinking block; off unless asked (as the trainer renders prompts). */
  enableThinking?: boolean;
}

export type GenerationEvent =
  | { kind: 'loading'; exportDir: string }
  | { kind: 'started'; promptTokens: number }
  | { kind: 'token'; text: string; tokenCount: number }
  | {
      kind: 'finished';
      reason: 'eos' | 'length' | 'cancelled';
      text: string;
      tokenCount: number;
      /** From the prompt handed to the model to the first generated token (the prefill). */
      timeToFirstTokenMs: number;
      /** Tokens after the first, per second after the first (the decode rate; 0 with fewer than 2 tokens). */
      tokensPerSecond: number;
    }
  | { kind: 'error'; message: string };

export type FinishedEvent = Extract<GenerationEvent, { kind: 'finished' }>;

/** What tests and the benchmark check beyond the events. */
export interface GenerationDetail {
  /** The answer's token ids (no end-of-turn token). */
  tokenIds: number[];
  /** Forward passes that produced a token (the end-of-turn token, and one computed as a cancel arrived, too). */
  steps: number;
  /** From the prompt handed to the model to the last step (prefill included), in ms. */
  generationMs: number;
}

/** Host → worker. */
export type WorkerRequest =
  | {
      type: 'generate';
      /** Chosen by the host, unique per engine; every event of this generation carries it. */
      id: number;
      exportDir: string;
      messages: ChatMessage[];
      settings: DecodingSettings;
      /**
       * One Int32 the host sets to 1 to cancel. Shared memory, so the worker sees it between two token steps
       * even while its event loop is busy in the generation loop.
       */
      cancelFlag: SharedArrayBuffer;
      /** Test hook: also return the generated ids and the model steps in the finished message. */
      withDetail?: boolean;
    }
  /** Forget loaded exports (all when `exportDir` is absent), e.g. after an export was rebuilt. */
  | { type: 'unload'; exportDir?: string };

/** Worker → host. */
export type WorkerResponse =
  | { type: 'event'; id: number; event: GenerationEvent; detail?: GenerationDetail }
  | { type: 'unloaded'; exportDir?: string };
