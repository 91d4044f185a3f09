import * as path from 'node:path';
import type { ArtifactIndex } from '../../artifacts/artifactIndex';
import type { RunRegistry } from '../registry';
import { folderOfArgument } from '../../vscode/menuArgument';

/**
 * What other features (training, evaluation, inference, run comparison) and the runs feature's own command modules
 * use from the runs feature. It lives apart from registerRuns.ts, which assembles the feature, so that the command
 * modules registerRuns imports never import registerRuns back.
 */
export interface RunsFeature {
  readonly registry: RunRegistry;
  /** The one index of run artefacts (runs, checkpoints, evaluations, ONNX exports); `artifacts.runs === registry`. */
  readonly artifacts: ArtifactIndex;
  /** The runs directory from `medqa.runsDirectory`, resolved against the workspace folder. */
  runsDirectory(): string | undefined;
  /** A run this window launched: shown as running at once, even before the trainer writes anything. */
  markActive(runDir: string): Promise<void>;
  markInactive(runDir: string): Promise<void>;
  refresh(runDir?: string): Promise<void>;
  openDashboard(runDir: string): Promise<void>;
  reveal(runDir: string): Promise<void>;
  /** Lists a folder outside the runs directory (remembered in the workspace state) and watches it. */
  track(runDir: string): Promise<void>;
  /** Forgets a tracked folder; its files stay. */
  untrack(runDir: string): Promise<void>;
}

/** Accepts what menus, the palette, tests and the dashboard pass: a tree element, a path, a Uri or nothing. */
export function runDirOf(arg: unknown): string | undefined {
  return folderOfArgument(arg, { field: 'runDir', resolve: false });
}

/** `child` lies below `parent` (not equal to it). */
export function isInside(parent: string | undefined, child: string): boolean {
  if (!parent) return false;
  const relative = path.relative(path.resolve(parent), path.resolve(child));
  return Boolean(relative) && !relative.startsWith('..') && !path.isAbsolute(relative);
}
