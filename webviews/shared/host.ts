import type { HostToWebview, PanelId, PanelRequest, WebviewToHost } from '../../src/protocol/webviewMessages';

interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

/** Typed access to the host for one panel; call once per app. `ready` is sent when the app listens. */
export function connect<Id extends PanelId, UiState = unknown>(
  onMessage: (message: HostToWebview<Id>) => void,
): {
  post(message: PanelRequest<Id>): void;
  uiState(): UiState | undefined;
  saveUiState(state: UiState): void;
} {
  const api = acquireVsCodeApi<UiState>();
  window.addEventListener('message', (event: MessageEvent<HostToWebview<Id>>) => onMessage(event.data));
  api.postMessage({ type: 'ready' } satisfies WebviewToHost<Id>);
  return {
    post: (message) => api.postMessage(message),
    uiState: () => api.getState(),
    saveUiState: (state) => api.setState(state),
  };
}

/** Reads a VS Code theme colour (CSS variable) so charts follow the active theme. */
export function themeColor(variable: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(variable).trim();
  return value || fallback;
}

/** Text for innerHTML. Takes any value: a field read from a user's file may not be the string its type says. */
export function escapeHtml(value: unknown): string {
  const text = typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
