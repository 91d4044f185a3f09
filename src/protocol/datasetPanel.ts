/** Messages of the dataset panel (`dataset`); registered in webviewMessages.ts `PanelProtocols`. */

export type DatasetTab = 'overview' | 'tokens' | 'duplicates' | 'report';

export interface DatasetCountRow {
  name: string;
  pairs: number;
  answered: number;
}

export interface LengthRow {
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

/** Token lengths of the training examples against max_length: what the dataset core computes and the panel shows. */
export interface TokenLengths {
  maxLength: number;
  /** Training examples counted: answered, not excluded, renderable by the chat template. */
  examples: number;
  prompt: LengthRow;
  answer: LengthRow;
  total: LengthRow;
  /** Examples longer than maxLength (their answer loses its end), and their share. */
  truncated: number;
  truncatedShare: number;
  /** Examples whose prompt alone reaches maxLength: no answer token survives. */
  answerLost: number;
  /** Answer tokens cut away across all examples, as a share of all answer tokens. */
  answerTokensCutShare: number;
  /** Whole-example lengths (prompt + answer), counts per bucket of bucketSize tokens, for a histogram. */
  histogram: { bucketSize: number; counts: number[] };
}

export type TokenPanelState =
  /** No tokenizer folder found: the panel says so and offers to set `medqa.tokenizerPath`. */
  | { status: 'missing'; message: string }
  | { status: 'computing'; tokenizer: string; done: number; total: number }
  | { status: 'error'; tokenizer: string; message: string }
  | (TokenLengths & { status: 'ready'; tokenizer: string; unrenderable: number; seconds: number });

export interface DuplicateGroupRow {
  kind: 'question' | 'answer';
  match: 'exact' | 'near';
  similarity: number;
  ids: string[];
  sample: string;
}

export interface ProblemRow {
  index: number;
  file: string;
  line?: number;
  kind: string;
  message: string;
  /** Whether the host can open the file. */
  openable: boolean;
}

export interface DatasetPanelState {
  status: 'empty' | 'loading' | 'ready';
  error: string | null;
  totals: {
    pairs: number;
    answered: number;
    unanswered: number;
    excluded: number;
    flagged: number;
    edited: number;
    files: number;
    sources: string[];
  };
  byCollection: DatasetCountRow[];
  byQtype: DatasetCountRow[];
  split: {
    seed: number;
    ratios: [number, number, number];
    counts: { name: string; pairs: number }[];
    stale: boolean;
  } | null;
  tokens: TokenPanelState;
  duplicates: {
    createdAt: string;
    threshold: number;
    questionGroups: number;
    answerGroups: number;
    /** The largest groups first, at most 200. */
    groups: DuplicateGroupRow[];
  } | null;
  problems: { total: number; rows: ProblemRow[] };
}

export type DatasetPanelRequest =
  | { type: 'openPair'; id: string }
  | { type: 'openBoth'; left: string; right: string }
  | { type: 'openProblem'; index: number }
  | { type: 'setTokenizer' }
  | { type: 'run'; command: 'import' | 'findDuplicates' | 'split' | 'export' }
  | { type: 'refreshTokens' };

export type DatasetPanelMessage = { type: 'showTab'; tab: DatasetTab };
