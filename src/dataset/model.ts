/**
 * The dataset's data model, shared by readers, curation (overlay, dedupe, split, export), the CLI and the views.
 * Plain data only: no vscode, no I/O.
 */

/** Where a pair came from. `collection` is the MedQuAD folder (e.g. "1_CancerGov_QA") or the file name. */
export interface SourceDocument {
  /**
   * MedQuAD document id (e.g. "0000001"), or the file name for CSV/JSONL. For XML it is the file's stem, which equals
   * the `id` attribute except in a few CancerGov files that share one attribute (see `declaredId`).
   */
  id: string;
  /** The XML id attribute as written, only when it differs from `id`. */
  declaredId?: string;
  collection: string;
  /** The NIH source name from the XML `source` attribute (e.g. "CancerGov"), or the CSV `source` column. */
  source: string;
  url?: string;
  focus?: string;
  /** Path of the file, relative to the import root (forward slashes). */
  file: string;
  /** MedQuAD focus category (Disease, Drug, Other) where the collection has one. */
  category?: string;
  cuis?: string[];
  semanticTypes?: string[];
  semanticGroup?: string;
  synonyms?: string[];
}

export interface QaPair {
  /** Stable id: `<collection>/<document id>/<pid>` so edits and flags survive a re-import. */
  id: string;
  document: SourceDocument;
  pid: string;
  qid?: string;
  qtype: string;
  question: string;
  /** Empty string when the source has no answer (MedQuAD collections 10–12). */
  answer: string;
}

export type ImportProblemKind =
  | 'malformed-xml'
  | 'missing-column'
  | 'bad-row'
  | 'bad-json'
  | 'bad-encoding'
  | 'unreadable'
  | 'unsupported'
  | 'too-large'
  | 'duplicate-id';

/** One thing that could not be imported; everything else still imports. */
export interface ImportProblem {
  file: string;
  line?: number;
  column?: number;
  kind: ImportProblemKind;
  message: string;
  /** Set on the one entry that stands for problems left out of a long list (see readers/problemLog.ts). */
  omitted?: number;
}

export interface ImportResult {
  root: string;
  pairs: QaPair[];
  problems: ImportProblem[];
  filesRead: number;
}

/** User curation kept apart from the source (the overlay in `.medqa/overlay.json`). */
export interface PairOverlay {
  question?: string;
  answer?: string;
  flag?: { reason: string; at: string };
  excluded?: { reason: string; at: string };
  note?: string;
}

export type SplitName = 'train' | 'validation' | 'test';
