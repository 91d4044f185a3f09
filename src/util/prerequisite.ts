/**
 * "Do X first" messages, each with the button that does X. A command that cannot go on because a step is missing
 * throws `needsFirst(...)`; the command wrapper (src/vscode/services.ts) shows it as a warning whose button runs the
 * missing step, instead of an error whose only button is Show Log. No vscode import: core code may throw it too.
 */
import { Commands } from '../commands';

export interface Remedy {
  /** The button's label. */
  readonly label: string;
  /** The command the button runs (ours, or a built-in workbench command). */
  readonly command: string;
}

/** The steps a message may ask for first, and the button for each. */
export const REMEDIES = {
  openFolder: { label: 'Open Folder…', command: 'workbench.action.files.openFolder' },
  importDataset: { label: 'Import Dataset…', command: Commands.datasetImport },
  createSplit: { label: 'Create Split…', command: Commands.datasetSplit },
  exportDataset: { label: 'Export for Training…', command: Commands.datasetExport },
  trainAdapter: { label: 'Train adapter', command: Commands.trainingTrain },
  compareRuns: { label: 'Compare Runs', command: Commands.runsCompare },
  buildRetrievalIndex: { label: 'Build Retrieval Index…', command: Commands.retrievalBuildIndex },
  evaluateCheckpoint: { label: 'Evaluate Checkpoint…', command: Commands.evaluationEvaluateCheckpoint },
  gradeAnswers: { label: 'Grade Answers…', command: Commands.gradingGradeAnswers },
} as const satisfies Record<string, Remedy>;

export type RemedyName = keyof typeof REMEDIES;

export class PrerequisiteError extends Error {
  constructor(
    message: string,
    readonly remedy: Remedy,
    /** Arguments for the remedy's command (e.g. the checkpoint to evaluate). */
    readonly args: readonly unknown[] = [],
  ) {
    super(message);
    this.name = 'PrerequisiteError';
  }
}

/** The error to throw when `remedy` must happen first; `message` says what is missing and why. */
export function needsFirst(remedy: RemedyName, message: string, ...args: unknown[]): PrerequisiteError {
  return new PrerequisiteError(message, REMEDIES[remedy], args);
}

/** The one "open a folder" message, shared by every feature that keeps files in `.medqa/`. */
export function needsFolder(
  what = "MedQA Studio keeps its files in the folder's .medqa/ directory",
): PrerequisiteError {
  return needsFirst('openFolder', `Open a folder first: ${what}.`);
}
