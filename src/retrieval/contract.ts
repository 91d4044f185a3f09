/**
 * What the trainer's retrieval commands write and print (docs/protocol.md, "Retrieval index"), checked with valibot
 * where the extension reads it: the index manifest and the `retrieve --serve` lines. The Python side is the source
 * of truth; fields the extension does not use are let through unchecked. (No vscode import.)
 */
import * as v from 'valibot';

export const INDEX_FORMAT = 'medqa-retrieval-index';

/** Missing and null both mean "none". */
const maybeString = v.nullish(v.string());

export const IndexManifestSchema = v.object({
  format: v.literal(INDEX_FORMAT),
  version: v.number(),
  created_at: v.optional(v.string()),
  library: v.optional(v.object({ name: v.string(), version: v.optional(v.string()) })),
  pairs: v.pipe(v.number(), v.integer(), v.minValue(0)),
  data_hash: v.string(),
  source: v.optional(
    v.object({
      data: maybeString,
      split_file: maybeString,
      splits: v.nullish(v.array(v.string())),
      split_hash: maybeString,
    }),
  ),
  size_bytes: v.optional(v.number()),
  seconds: v.optional(v.number()),
});
export type IndexManifest = v.InferOutput<typeof IndexManifestSchema>;

export const HitSchema = v.object({
  id: v.string(),
  score: v.number(),
  rank: v.number(),
  url: maybeString,
  text: v.string(),
  question: v.string(),
  focus: maybeString,
  qtype: v.string(),
  collection: v.optional(v.string()),
  source: v.optional(v.string()),
  split: maybeString,
});
export type RetrievalHit = v.InferOutput<typeof HitSchema>;

/** The first line `retrieve --serve` prints once the index is loaded. */
export const ReadySchema = v.object({
  ready: v.literal(true),
  pairs: v.number(),
  data_hash: v.string(),
});
export type ServerReady = v.InferOutput<typeof ReadySchema>;

const requestId = v.union([v.number(), v.string(), v.null()]);

/** A reply with hits (the index's answer to one request). */
export const HitsReplySchema = v.object({
  id: requestId,
  hits: v.array(HitSchema),
  elapsed_ms: v.optional(v.number()),
  /** With `rag: true`: the user turn with the numbered sources, as training and evaluation render it. */
  user_content: v.optional(v.string()),
  sources: v.optional(v.array(v.unknown())),
});

/** A request the server could not answer (it goes on serving). */
export const ErrorReplySchema = v.object({
  id: requestId,
  error: v.string(),
  elapsed_ms: v.optional(v.number()),
});

/** One request line: the words to search for and how many hits; qtype and focus let the index prefer them. */
export interface RetrievalRequest {
  query: string;
  k: number;
  qtype?: string;
  focus?: string;
  rag?: boolean;
  /** With `rag`: a folder with the answering model's tokenizer.json; the sources are then cut to `context_tokens`
   * tokens as training and evaluation cut them. */
  tokenizer?: string;
  context_tokens?: number;
}

export interface RetrievalResult {
  hits: RetrievalHit[];
  elapsedMs?: number;
  userContent?: string;
  sources?: unknown[];
}
