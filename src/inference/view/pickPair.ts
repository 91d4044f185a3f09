import * as vscode from 'vscode';
import type { DatasetSession } from '../../dataset/view/session';
import type { PlaygroundPair } from '../../protocol/playground';
import { needsFirst } from '../../util/prerequisite';

const SHOWN = 200;

/**
 * "Pick a QA pair": a quick pick over the loaded dataset's pairs (curated: edits applied, excluded pairs and
 * pairs without an answer left out). Filtered here and capped, so tens of thousands of pairs never cross to the
 * workbench at once.
 */
export async function pickPair(
  session: DatasetSession,
): Promise<{ question: string; pair: PlaygroundPair } | undefined> {
  const pairs = session.curatedPairs().filter((p) => !p.excluded && p.answer.trim());
  if (pairs.length === 0)
    throw needsFirst('importDataset', 'No QA pairs are loaded. Import a dataset first.');
  type Item = vscode.QuickPickItem & { index: number };
  const quickPick = vscode.window.createQuickPick<Item>();
  quickPick.title = 'Pick a QA pair';
  quickPick.placeholder = `Type words of the question (${pairs.length.toLocaleString('en-US')} pairs)`;
  quickPick.matchOnDescription = true;
  quickPick.matchOnDetail = true;
  const itemsFor = (query: string): Item[] => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const items: Item[] = [];
    for (let index = 0; index < pairs.length && items.length < SHOWN; index++) {
      const pair = pairs[index];
      const haystack = `${pair.question} ${pair.qtype} ${pair.id}`.toLowerCase();
      if (words.every((w) => haystack.includes(w)))
        items.push({
          label: pair.question,
          description: pair.qtype,
          detail: pair.id,
          index,
          alwaysShow: true,
        });
    }
    return items;
  };
  quickPick.items = itemsFor('');
  const subscriptions = [quickPick.onDidChangeValue((value) => (quickPick.items = itemsFor(value)))];
  try {
    const chosen = await new Promise<Item | undefined>((resolve) => {
      subscriptions.push(
        quickPick.onDidAccept(() => resolve(quickPick.selectedItems[0])),
        quickPick.onDidHide(() => resolve(undefined)),
      );
      quickPick.show();
    });
    if (!chosen) return undefined;
    const pair = pairs[chosen.index];
    return { question: pair.question, pair: { id: pair.id, qtype: pair.qtype, reference: pair.answer } };
  } finally {
    subscriptions.forEach((d) => d.dispose());
    quickPick.dispose();
  }
}
