/**
 * Flag / exclude / note / edit / revert / undo on one pair. The pair comes from the command argument (a tree node,
 * a pair id or a pair document's URI), else the tree selection or the active pair document, else a search pick.
 * Every change goes to the overlay (undoable) and is confirmed with an "Undo" button.
 */
import * as vscode from 'vscode';
import { Commands, type CommandId } from '../../commands';
import type { ExtensionServices } from '../../vscode/services';
import type { CuratedPair, OverlayChange, OverlayStore } from '../overlay';
import { EDIT_SCHEME, openPair, openPairForEditing, PAIR_SCHEME, pairIdFromUri } from './pairDocuments';
import { PairNode } from './pairTree';
import type { DatasetSession } from './session';

const UNDO_KEY = 'medqa.dataset.canUndo';

export interface CurationContext {
  session: DatasetSession;
  treeView: vscode.TreeView<unknown>;
  /** Asks the user for a pair (the search quick pick); undefined when dismissed. */
  pickPair(title: string): Promise<string | undefined>;
}

function idFromArgument(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof PairNode) return arg.pairId;
  if (arg instanceof vscode.Uri && (arg.scheme === PAIR_SCHEME || arg.scheme === EDIT_SCHEME))
    return pairIdFromUri(arg);
  return undefined;
}

async function targetPair(
  context: CurationContext,
  arg: unknown,
  action: string,
): Promise<string | undefined> {
  const explicit = idFromArgument(arg);
  if (explicit) return explicit;
  const selected = context.treeView.selection.find((node): node is PairNode => node instanceof PairNode);
  if (selected) return selected.pairId;
  const uri = vscode.window.activeTextEditor?.document.uri;
  if (uri && (uri.scheme === PAIR_SCHEME || uri.scheme === EDIT_SCHEME)) return pairIdFromUri(uri);
  return context.pickPair(`${action}: choose a pair`);
}

function short(text: string): string {
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** A change to one pair's overlay that asks for a text first: a reason, or a note. */
interface ReasonCommand {
  id: CommandId;
  action: string;
  prompt: string;
  apply(store: OverlayStore, pairId: string, text: string): Promise<OverlayChange>;
  /** The text offered in the input box (the pair's current reason or note). */
  current(pair: CuratedPair): string | undefined;
}

const REASON_COMMANDS: readonly ReasonCommand[] = [
  {
    id: Commands.datasetFlag,
    action: 'Flag pair',
    prompt: 'Why flag this pair? (optional; Enter to flag, Escape to cancel)',
    apply: (store, pairId, reason) => store.setFlag(pairId, reason),
    current: (pair) => pair.flagged?.reason,
  },
  {
    id: Commands.datasetExclude,
    action: 'Exclude pair',
    prompt: 'Why exclude this pair from splits and exports? (optional)',
    apply: (store, pairId, reason) => store.setExcluded(pairId, reason),
    current: (pair) => pair.excluded?.reason,
  },
  {
    id: Commands.datasetNote,
    action: 'Note',
    prompt: 'A note for this pair (empty removes the note)',
    apply: (store, pairId, note) => store.setNote(pairId, note || undefined),
    current: (pair) => pair.note,
  },
];

/** A change to one pair's overlay that needs nothing more than the pair. */
interface PairCommand {
  id: CommandId;
  action: string;
  apply(store: OverlayStore, pairId: string): Promise<OverlayChange>;
}

const PAIR_COMMANDS: readonly PairCommand[] = [
  {
    id: Commands.datasetUnflag,
    action: 'Remove flag',
    apply: (store, pairId) => store.setFlag(pairId, undefined),
  },
  {
    id: Commands.datasetInclude,
    action: 'Include pair',
    apply: (store, pairId) => store.setExcluded(pairId, undefined),
  },
  { id: Commands.datasetRevert, action: 'Revert pair', apply: (store, pairId) => store.revert(pairId) },
];

function pairOrThrow(session: DatasetSession, id: string): CuratedPair {
  const pair = session.curated(id);
  if (!pair) throw new Error(`No pair with id ${id} is loaded. Refresh the dataset or import its source.`);
  return pair;
}

/** Shows what a change did, with an "Undo" button. */
function confirm(session: DatasetSession, change: OverlayChange): OverlayChange {
  const question = session.curated(change.id)?.question ?? change.id;
  void vscode.window
    .showInformationMessage(`MedQA: ${change.label} — "${short(question)}"`, 'Undo')
    .then((choice) => {
      if (choice === 'Undo') void vscode.commands.executeCommand(Commands.datasetUndo);
    });
  return change;
}

/** Runs a reason command: the text comes from the second argument, else from an input box. */
async function runReasonCommand(
  context: CurationContext,
  command: ReasonCommand,
  arg: unknown,
  reason: unknown,
): Promise<OverlayChange | undefined> {
  const { session } = context;
  const pairId = await targetPair(context, arg, command.action);
  if (!pairId) return undefined;
  const pair = pairOrThrow(session, pairId);
  let text = typeof reason === 'string' ? reason : undefined;
  text ??= await vscode.window.showInputBox({
    title: `${command.action}: ${short(pair.question)}`,
    prompt: command.prompt,
    value: command.current(pair) ?? '',
    ignoreFocusOut: true,
  });
  if (text === undefined) return undefined;
  return confirm(session, await command.apply(await session.overlay(), pairId, text.trim()));
}

async function runPairCommand(
  context: CurationContext,
  command: PairCommand,
  arg: unknown,
): Promise<OverlayChange | undefined> {
  const { session } = context;
  const pairId = await targetPair(context, arg, command.action);
  if (!pairId) return undefined;
  pairOrThrow(session, pairId);
  return confirm(session, await command.apply(await session.overlay(), pairId));
}

async function undo(session: DatasetSession): Promise<OverlayChange | undefined> {
  const store = await session.overlay();
  const change = await store.undo();
  if (!change) {
    void vscode.window.showInformationMessage('MedQA: nothing to undo.');
    return undefined;
  }
  const question = session.curated(change.id)?.question ?? change.id;
  void vscode.window.showInformationMessage(`MedQA: ${change.label} — "${short(question)}"`);
  return change;
}

export function registerCurationCommands(services: ExtensionServices, context: CurationContext): void {
  const { session } = context;
  for (const command of REASON_COMMANDS)
    services.registerCommand(command.id, (arg?: unknown, reason?: unknown) =>
      runReasonCommand(context, command, arg, reason),
    );
  for (const command of PAIR_COMMANDS)
    services.registerCommand(command.id, (arg?: unknown) => runPairCommand(context, command, arg));
  services.registerCommand(Commands.datasetUndo, () => undo(session));

  services.registerCommand(Commands.datasetOpenPair, async (arg?: unknown) => {
    const pairId = await targetPair(context, arg, 'Open pair');
    if (pairId)
      await openPair(session, pairId, { preserveFocus: arg instanceof PairNode || typeof arg === 'string' });
  });
  services.registerCommand(Commands.datasetEditPair, async (arg?: unknown) => {
    const pairId = await targetPair(context, arg, 'Edit pair');
    if (pairId) await openPairForEditing(session, pairId);
  });

  const updateUndoKey = () => {
    const store = session.loadedOverlay;
    void vscode.commands.executeCommand('setContext', UNDO_KEY, store?.canUndo ?? false);
  };
  const subscription = session.onDidChange((change) => {
    if (change.kind === 'overlay' || change.kind === 'data') updateUndoKey();
  });
  services.context.subscriptions.push({ dispose: () => subscription.dispose() });
}
