import * as vscode from 'vscode';
import { ANSWER_TEXT_EXTENSION, sentencePerLine } from '../../grading/answerText';

export const PLAYGROUND_TEXT_SCHEME = 'medqa-playground-text';

/**
 * Read-only documents for the playground's diffs: each answer laid out one sentence per line (as the grading
 * feature's diffs), kept in memory under a URI that names what it is. A new answer under the same name replaces
 * the old one and an open diff follows.
 */
export class PlaygroundTexts implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  /** Keeps `text` under `label` and returns its URI. */
  put(label: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({
      scheme: PLAYGROUND_TEXT_SCHEME,
      // The extension gives the document the answer-text language, which wraps (package.json).
      path: `/${label.replace(/[/\\]/g, '_')}${ANSWER_TEXT_EXTENSION}`,
    });
    const key = uri.toString();
    const laidOut = sentencePerLine(text);
    if (this.texts.get(key) !== laidOut) {
      this.texts.set(key, laidOut);
      this.changed.fire(uri);
    }
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  /** Opens VS Code's diff editor on two texts (left, right). */
  async diff(left: { label: string; text: string }, right: { label: string; text: string }, title: string) {
    await vscode.commands.executeCommand(
      'vscode.diff',
      this.put(left.label, left.text),
      this.put(right.label, right.text),
      title,
      { preview: true },
    );
  }

  dispose(): void {
    this.changed.dispose();
  }
}
