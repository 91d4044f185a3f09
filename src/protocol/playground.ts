/** Messages of the Playground panel (`playground`); registered in webviewMessages.ts `PanelProtocols`. Types only. */
import type { ShownSource } from './sources';

export type PlaygroundSide = 'base' | 'adapter';

/** Decoding settings as the panel edits them (defaults: the `medqa.playground.*` settings). */
export interface PlaygroundDecoding {
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  /** null: a fresh seed per question. */
  seed: number | null;
}

/** What the panel answers with: a checkpoint's ONNX export and its base model's. */
export interface PlaygroundTarget {
  run: string;
  checkpoint: string;
  checkpointPath: string;
  model: string;
  /** The export folders in use, or null when missing. */
  exports: Record<PlaygroundSide, string | null>;
  /** How each export stores its weights: "ONNX" (fp32), "ONNX int8", "ONNX int4"; null when missing. */
  exportLabels: Record<PlaygroundSide, string | null>;
}

export type ColumnStatus = 'idle' | 'loading' | 'generating' | 'finished' | 'error';

export interface PlaygroundColumn {
  status: ColumnStatus;
  text: string;
  tokenCount: number;
  /** Set when generation finished. */
  timeToFirstTokenMs: number | null;
  tokensPerSecond: number | null;
  reason: 'eos' | 'length' | 'cancelled' | null;
  error: string | null;
}

export interface PlaygroundPair {
  id: string;
  qtype: string;
  reference: string;
}

/** A retrieved source as the Playground shows it, with its retrieval score. */
export interface PlaygroundSource extends ShownSource {
  score: number;
}

/** "Ground in dataset": whether questions go through the retrieval index first, and what it returned. */
export interface PlaygroundGrounding {
  enabled: boolean;
  /** The index used (the all-pairs one preferred), or null when the workspace has none. */
  index: { name: string; pairs: number; stale: boolean } | null;
  /** The sources of the last grounded question (both models were given these), numbered as in the prompt. */
  sources: PlaygroundSource[];
  /** The question those sources were retrieved for. */
  question: string | null;
}

export interface PlaygroundState {
  target: PlaygroundTarget | null;
  /** Why an export cannot be used (missing, files mismatching the manifest): shown in the panel. */
  problems: string[];
  question: string;
  /** The QA pair the question came from ("Pick a QA pair"), with its reference answer. */
  pair: PlaygroundPair | null;
  decoding: PlaygroundDecoding;
  columns: Record<PlaygroundSide, PlaygroundColumn>;
  /** The last save for grading: where it went, or null. */
  saved: { dir: string; id: string } | null;
  grounding: PlaygroundGrounding;
}

/** Sent while a column streams, between full states. */
export type PlaygroundMessage = { type: 'column'; side: PlaygroundSide; column: PlaygroundColumn };

export type PlaygroundRequest =
  | { type: 'ask'; question: string; decoding: PlaygroundDecoding }
  | { type: 'stop' }
  | { type: 'pickPair' }
  | { type: 'chooseCheckpoint' }
  | { type: 'exportMissing' }
  | { type: 'compare'; kind: 'answers' | 'reference' }
  | { type: 'save' }
  | { type: 'setGrounding'; enabled: boolean }
  /** Builds the retrieval index (the Build Retrieval Index command), offered when there is none. */
  | { type: 'buildIndex' }
  /** Opens a source's NIH page in the browser (the host checks it is an http(s) URL). */
  | { type: 'openSource'; url: string };
