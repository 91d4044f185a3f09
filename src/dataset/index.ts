/**
 * Dataset core API (no vscode). What the views and the CLI call:
 *
 * Import
 *   importDataset(path, { signal?, onProgress? }) → Promise<ImportResult>   one folder (MedQuAD root, one collection,
 *       a folder of CSV/JSONL) or one file; { root, pairs: QaPair[], problems: ImportProblem[], filesRead }.
 *       Pair ids: `<collection>/<doc>/<pid>` for XML, `<file name>/<id column | row | line>` for CSV/JSONL.
 *   importDatasets(paths, options) → { sources: ImportResult[], pairs, problems }   the workspace's sources together.
 *   computeStats(pairs, problems) → DatasetStats   pairs/answered/unanswered, byCollection, byQtype, errors
 *       (pass curated pairs to also get excluded/flagged/edited).
 *
 * Curation (overlay, `<workspace>/.medqa/overlay.json`)
 *   const overlay = await OverlayStore.load(workspaceDir)   throws OverlayFormatError for a file it must not overwrite.
 *   overlay.apply(pair) → CuratedPair (question/answer edited, flagged, excluded, note, originalQuestion/Answer).
 *   overlay.editQuestion(pair, text), editAnswer(pair, text), setFlag(id, reason|undefined),
 *   setExcluded(id, reason|undefined), setNote(id, text|undefined), revert(id), update(id, patch, label)
 *       → Promise<OverlayChange> (saved atomically before it resolves).
 *   overlay.undo() → Promise<OverlayChange | undefined>; overlay.canUndo; overlay.undoLabel.
 *   overlay.onDidChange(listener) → { dispose() }; overlay.hash().
 *
 * Workspace (`<workspace>/.medqa/workspace.json`)
 *   const ws = await WorkspaceStore.load(workspaceDir); ws.sources() (absolute paths); ws.addSource(p);
 *   ws.removeSource(p); ws.setLastSplit(file, seed, ratios); ws.setLastExport(dir); ws.lastSplit; ws.lastExport.
 *
 * Duplicates, split, export (pass curated pairs: overlay.apply(pair) for each)
 *   dedupePairs(pairs, { threshold?: 0.8, shingleSize?: 3 }) → DedupeReport { questions, answers: DuplicateResult }
 *       DuplicateResult.groups: { kind: 'exact'|'near', ids, similarity, sample }[] (union-find groups, largest first).
 *   findDuplicates(items: {id, text}[], options) → DuplicateResult   one field only.
 *   createSplit(pairs, { sourceHash: sourceHash(rawPairs), overlayHash: overlay.hash() }, { seed?, ratios? })
 *       → SplitFile; writeSplit(file, split) (byte-identical for equal input); readSplit(file); parseRatios("81,9,10").
 *   exportSplit(pairs, split, outDir, hashes, { systemPrompt? }) → { manifest, unassigned, missing, staleSource, … }
 *       writes train/validation/test.jsonl + manifest.json (contract #1). assertOutsideSources(out, sources) first.
 *
 * Tokens
 *   const tok = await ChatTokenizer.load(dir)   tokenizer.json + chat template; tok.count(text).
 *   tokenStats(tok, pairs, { maxLength?: 128, systemPrompt?, signal?, onProgress? }) → TokenStats
 *       (prompt/answer/total LengthRow of protocol/datasetPanel, truncated, truncatedShare, histogram).
 */
export * from './model';
export { importDataset, importDatasets, supportedExtensions } from './import';
export type { ImportOptions, ImportProgress, MultiImportResult } from './import';
export { computeStats, isAnswered } from './stats';
export type { CountRow, DatasetStats } from './stats';
export { OverlayStore, applyOverlay } from './overlay';
export { OverlayFormatError, overlayPath, OVERLAY_FORMAT, OVERLAY_VERSION } from './overlayFile';
export type { CuratedPair, OverlayChange, OverlayPatch } from './overlay';
export { WorkspaceStore, workspaceFilePath, WORKSPACE_FORMAT, WORKSPACE_VERSION } from './workspaceStore';
export type { WorkspaceFile, WorkspaceSource } from './workspaceStore';
export { dedupePairs, findDuplicates, groupKeys, chooseBanding } from './dedupe';
export type { DedupeOptions, DedupeReport, DuplicateGroup, DuplicateResult, TextItem } from './dedupe';
export { normalizeText } from './normalize';
export {
  createSplit,
  writeSplit,
  readSplit,
  serializeSplit,
  parseRatios,
  normalizeRatios,
  splitNames,
} from './split';
export type { SplitAssignment, SplitFile, SplitInput, SplitOptions } from './split';
export { exportSplit, assertOutsideSources, chatRecord, EXPORT_FORMAT, EXPORT_VERSION } from './export';
export type { ExportManifest, ExportOptions, ExportResult } from './export';
export { sourceHash, sha256, compareIds } from './hash';
export { ChatTokenizer, ChatTemplateError } from './tokenizer';
export type { ChatMessage } from './tokenizer';
export { tokenStats, exampleLength, summarize } from './tokens';
export type { TokenStats, TokenStatsOptions, ExampleLength } from './tokens';
