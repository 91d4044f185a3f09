/**
 * "Ground in dataset" in the Playground: the retrieve server's `rag` reply turned into what the panel shows and
 * what the models are given. The user turn is the server's `user_content`, rendered by the trainer's
 * `rag.render_user_content`, so a grounded Playground prompt is the one training and evaluation render; nothing
 * is re-rendered here. (No vscode import.)
 */
import type { RetrievalResult } from '../retrieval/contract';
import { parseRetrieved, type RetrievedSource } from '../retrieval/citations';
import type { PlaygroundGrounding, PlaygroundSource } from '../protocol/playground';

/** Sources per question: evaluate's default `--k`, so the Playground shows what an evaluation would give. */
export const GROUNDING_K = 3;
/** The user turn's token budget with its sources: evaluate's --retrieval-context-tokens default. */
export const GROUNDING_CONTEXT_TOKENS = 384;

export function noGrounding(enabled = false): PlaygroundGrounding {
  return { enabled, index: null, sources: [], question: null };
}

export interface GroundedPrompt {
  userContent: string;
  sources: PlaygroundSource[];
}

/**
 * The prompt and numbered sources of a `rag: true` reply. The NIH site name comes from the hit of the same id
 * (the trainer's sources leave it out). A reply without `user_content` or with malformed sources is an error:
 * asking without them would silently answer closed-book.
 */
export function groundedPrompt(result: RetrievalResult): GroundedPrompt {
  const sources = parseRetrieved(result.sources ?? []);
  if (result.userContent === undefined || !sources)
    throw new Error(
      'The retrieval server did not return the grounded prompt (user_content and sources): update the trainer (./studio setup).',
    );
  const siteOf = new Map(result.hits.map((hit) => [hit.id, hit.source ?? null]));
  return {
    userContent: result.userContent,
    sources: sources.map((s) => ({
      n: s.n,
      id: s.id,
      question: s.question,
      source: s.source ?? siteOf.get(s.id) ?? null,
      url: s.url ?? null,
      text: s.text,
      score: s.score ?? 0,
      cut: s.cut ?? false,
    })),
  };
}

/** A prediction row's `retrieved` (contract #3): the passages as given to the model, with the NIH site. */
export function retrievedOf(sources: readonly PlaygroundSource[]): RetrievedSource[] {
  return sources.map((s) => ({
    n: s.n,
    id: s.id,
    url: s.url,
    score: s.score,
    question: s.question,
    text: s.text,
    cut: s.cut,
    source: s.source,
  }));
}

/** The grounding of one saved exchange: the index (its name under .medqa/retrieval/, its data hash), k, the sources. */
export interface PlaygroundExchangeGrounding {
  index: string;
  dataHash: string;
  k: number;
  sources: PlaygroundSource[];
}

/** What the panel remembers of grounding across reloads. */
export interface GroundingMemory {
  enabled: boolean;
  sources: PlaygroundSource[];
  question: string | null;
  /** The index the shown answers were grounded in; null when they were answered closed-book. */
  used: Omit<PlaygroundExchangeGrounding, 'sources'> | null;
}

/** `tokenizerDir`: the answering model's export, whose tokenizer the sources are cut to fit with. */
export type Ground = (
  question: string,
  k: number,
  tokenizerDir: string,
) => Promise<GroundedPrompt & { index: string; dataHash: string }>;

/**
 * The user turn to send: the question itself, or (grounded) the trainer's rendering with its sources; `memory`
 * then holds the sources the answers are given (cleared for a closed-book question).
 */
export async function userTurn(
  memory: GroundingMemory,
  question: string,
  ground: Ground,
  tokenizerDir: string,
): Promise<string> {
  if (!memory.enabled) {
    Object.assign(memory, { sources: [], question: null, used: null });
    return question;
  }
  const grounded = await ground(question, GROUNDING_K, tokenizerDir);
  Object.assign(memory, {
    sources: grounded.sources,
    question,
    used: { index: grounded.index, dataHash: grounded.dataHash, k: GROUNDING_K },
  });
  return grounded.userContent;
}
