/**
 * `<workspace>/.medqa/open-on-start.json`: what a shipped sample folder (demo/) opens the first time it is opened, so
 * a newcomer lands on the MedQA Studio views, the walkthrough and a real run instead of an empty editor. Only a
 * folder that ships this file gets it, and only once per folder (remembered in the workspace state); normal
 * workspaces never have it. Everything it names must lie inside the folder.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as v from 'valibot';
import * as vscode from 'vscode';
import { Commands } from '../commands';
import type { ExtensionServices } from './services';

export const OPEN_ON_START_FILE = path.join('.medqa', 'open-on-start.json');
const SHOWN_KEY = 'medqa.openOnStart.shown';
/** package.json contributes.walkthroughs[0].id */
const WALKTHROUGH_ID = 'medqa.gettingStarted';

const OpenOnStart = v.strictObject({
  format: v.literal('medqa-open-on-start'),
  version: v.literal(1),
  /** Show the Getting Started walkthrough. */
  walkthrough: v.optional(v.boolean(), false),
  /** A run folder, relative to the workspace, whose dashboard opens. */
  run: v.optional(v.string()),
});

/** Reads the file; undefined when there is none, an Error saying what is wrong with one that is not ours. */
export async function readOpenOnStart(
  root: string,
): Promise<{ walkthrough: boolean; runDir?: string } | Error | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(root, OPEN_ON_START_FILE), 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return new Error(`${OPEN_ON_START_FILE} is not valid JSON (${(error as Error).message})`);
  }
  const result = v.safeParse(OpenOnStart, parsed);
  if (!result.success) return new Error(`${OPEN_ON_START_FILE}: ${result.issues[0].message}`);
  const { walkthrough, run } = result.output;
  if (run === undefined) return { walkthrough };
  const runDir = path.resolve(root, run);
  const relative = path.relative(root, runDir);
  if (relative.startsWith('..') || path.isAbsolute(relative))
    return new Error(`${OPEN_ON_START_FILE}: the run ${run} is outside the workspace folder`);
  return { walkthrough, runDir };
}

/** On the first start in a folder that ships the file: the MedQA container, the walkthrough, the run's dashboard. */
export async function openOnFirstStart(services: ExtensionServices): Promise<void> {
  const root = services.workspaceRoot();
  const state = services.context.workspaceState;
  if (!root || state.get<boolean>(SHOWN_KEY)) return;
  const wanted = await readOpenOnStart(root);
  if (!wanted) return;
  if (wanted instanceof Error) {
    services.log.warn(wanted.message);
    return;
  }
  await state.update(SHOWN_KEY, true);
  await vscode.commands.executeCommand('workbench.view.extension.medqa');
  if (wanted.runDir) await vscode.commands.executeCommand(Commands.runsOpenDashboard, wanted.runDir);
  // Beside the run, so both are in view: the run to look at, the steps to try next.
  if (wanted.walkthrough)
    await vscode.commands.executeCommand(
      'workbench.action.openWalkthrough',
      `${services.context.extension.id}#${WALKTHROUGH_ID}`,
      Boolean(wanted.runDir),
    );
}
