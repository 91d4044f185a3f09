/**
 * Flag / exclude / note / edit / revert / undo on one pair. The pair comes from the command argument (a tree node,
 * a pair id or a pair document's URI), else the tree selection or the active pair document, else a search pick.
 * Every change goes to the overlay (undoable) and is confirmed with an "Undo" button.
 */
import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { ExtensionServices } from '../../vscode/services';
import type { OverlayChange } from '../overlay';
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

export function registerCurationCommands(services: ExtensionServices, context: CurationContext): void {
  const { session } = context;
  const overlay = () => session.overlay();
  const pairOrThrow = (id: string) => {
    const pair = session.curated(id);
    if (!pair) throw new Error(`No pair with id ${id} is loaded. Refresh the dataset or import its source.`);
    return pair;
  };

  const confirm = (change: OverlayChange): OverlayChange => {
    const question = session.curated(change.id)?.question ?? change.id;
    void vscode.window
      .showInformationMessage(`MedQA: ${change.label} — "${short(question)}"`, 'Undo')
      .then((choice) => {
        if (choice === 'Undo') void vscode.commands.executeCommand(Commands.datasetUndo);
      });
    return change;
  };

  const reasonCommand = (
    id: (typeof Commands)[keyof typeof Commands],
    action: string,
    prompt: string,
    apply: (pairId: string, reason: string) => Promise<OverlayChange>,
    current: (pairId: string) => string | undefined,
  ) =>
    services.registerCommand(id, async (arg?: unknown, reason?: unknown) => {
      const pairId = await targetPair(context, arg, action);
      if (!pairId) return undefined;
      const pair = pairOrThrow(pairId);
      let text = typeof reason === 'string' ? reason : undefined;
      text ??= await vscode.window.showInputBox({
        title: `${action}: ${short(pair.question)}`,
        prompt,
        value: current(pairId) ?? '',
        ignoreFocusOut: true,
      });
      if (text === undefined) return undefined;
      return confirm(await apply(pairId, text.trim()));
    });

  reasonCommand(
    Commands.datasetFlag,
    'Flag pair',
    'Why flag this pair? (optional; Enter to flag, Escape to cancel)',
    async (pairId, reason) => (await overlay()).setFlag(pairId, reason),
    (pairId) => session.curated(pairId)?.flagged?.reason,
  );
  reasonCommand(
    Commands.datasetExclude,
    'Exclude pair',
    'Why exclude this pair from splits and exports? (optional)',
    async (pairId, reason) => (await overlay()).setExcluded(pairId, reason),
    (pairId) => session.curated(pairId)?.excluded?.reason,
  );
  reasonCommand(
    Commands.datasetNote,
    'Note',
    'A note for this pair (empty removes the note)',
    async (pairId, note) => (await overlay()).setNote(pairId, note || undefined),
    (pairId) => session.curated(pairId)?.note,
  );

  const simple = (
    id: (typeof Commands)[keyof typeof Commands],
    action: string,
    apply: (pairId: string) => Promise<OverlayChange>,
  ) =>
    services.registerCommand(id, async (arg?: unknown) => {
      const pairId = await targetPair(context, arg, action);
      if (!pairId) return undefined;
      pairOrThrow(pairId);
      return confirm(await apply(pairId));
    });
  simple(Commands.datasetUnflag, 'Remove flag', async (pairId) =>
    (await overlay()).setFlag(pairId, undefined),
  );
  simple(Commands.datasetInclude, 'Include pair', async (pairId) =>
    (await overlay()).setExcluded(pairId, undefined),
  );
  simple(Commands.datasetRevert, 'Revert pair', async (pairId) => (await overlay()).revert(pairId));

  services.registerCommand(Commands.datasetUndo, async () => {
    const store = await overlay();
    const change = await store.undo();
    if (!change) {
      void vscode.window.showInformationMessage('MedQA: nothing to undo.');
      return undefined;
    }
    const question = session.curated(change.id)?.question ?? change.id;
    void vscode.window.showInformationMessage(`MedQA: ${change.label} — "${short(question)}"`);
    return change;
  });

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
