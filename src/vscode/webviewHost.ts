import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type {
  HostToWebview,
  PanelId,
  PanelRequest,
  PanelState,
  WebviewToHost,
} from '../protocol/webviewMessages';

/**
 * One webview panel per `PanelId`, with a strict CSP (per-load nonce, no remote content), resources limited to
 * the extension's `out/` and `media/` folders, and the `ready` handshake: the app asks, the host answers with
 * full state. Subclasses provide the state and handle the panel's own messages.
 */
export abstract class WebviewPanelHost<Id extends PanelId> implements vscode.Disposable {
  protected panel: vscode.WebviewPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  protected constructor(
    protected readonly context: vscode.ExtensionContext,
    readonly panelId: Id,
    private readonly title: string,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(`medqa.${panelId}`, {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel, _state: unknown) => this.attach(panel),
      }),
    );
  }

  static options(context: vscode.ExtensionContext): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [
        vscode.Uri.joinPath(context.extensionUri, 'out'),
        vscode.Uri.joinPath(context.extensionUri, 'media'),
      ],
    };
  }

  /** Opens the panel, or reveals it when it is already open. */
  show(column: vscode.ViewColumn = vscode.ViewColumn.Active): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal(column);
      void this.pushState();
      return this.panel;
    }
    const panel = vscode.window.createWebviewPanel(
      `medqa.${this.panelId}`,
      this.title,
      column,
      WebviewPanelHost.options(this.context),
    );
    this.attach(panel);
    return panel;
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  protected attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.webview.options = WebviewPanelHost.options(this.context);
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'icons', 'medqa.svg');
    panel.webview.html = this.html(panel.webview);
    const subscriptions = [
      panel.webview.onDidReceiveMessage((message: unknown) => void this.receive(message)),
      panel.onDidDispose(() => {
        this.panel = undefined;
        subscriptions.forEach((d) => d.dispose());
      }),
    ];
  }

  /**
   * Checks a message from the webview before it is acted on; a panel with a schema overrides this. A rejected
   * message is logged and dropped.
   */
  protected validate(message: unknown): WebviewToHost<Id> | Error {
    return typeof message === 'object' &&
      message !== null &&
      typeof (message as { type?: unknown }).type === 'string'
      ? (message as WebviewToHost<Id>)
      : new Error('rejected a message without a type');
  }

  protected rejected(error: Error): void {
    console.warn(`MedQA ${this.panelId} panel: ${error.message}`);
  }

  private async receive(raw: unknown): Promise<void> {
    const message = this.validate(raw);
    if (message instanceof Error) {
      this.rejected(message);
      return;
    }
    try {
      if (message.type === 'ready') await this.pushState();
      else await this.onMessage(message as PanelRequest<Id>);
    } catch (error) {
      void vscode.window.showErrorMessage(`MedQA: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Sends the full state; called on `ready` and whenever the model changes. */
  async pushState(): Promise<void> {
    if (!this.panel) return;
    await this.post({ type: 'state', state: await this.state() } as HostToWebview<Id>);
  }

  protected post(message: HostToWebview<Id>): Thenable<boolean> {
    return this.panel ? this.panel.webview.postMessage(message) : Promise.resolve(false);
  }

  protected abstract state(): Promise<PanelState<Id>>;
  protected abstract onMessage(message: PanelRequest<Id>): Promise<void>;

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const asset = (...segments: string[]) =>
      webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, ...segments));
    const csp = [
      `default-src 'none'`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('out', 'media', 'codicon.css')}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${asset('media', 'webview.css')}">
<title>${this.title}</title>
</head>
<body data-panel="${this.panelId}">
<main id="app" aria-live="polite"></main>
<script nonce="${nonce}" src="${asset('out', 'webviews', `${this.panelId}.js`)}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.panel?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
