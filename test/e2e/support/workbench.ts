// E2E helper: a real code-server with MedQA Studio installed from its .vsix (as a user installs it), a temp copy of a
// workspace, and chromium driving the workbench like a person. One code-server serves every spec file of a mocha run
// (each workbench gets its own browser profile and workspace copy); hooks.ts stops it at the end.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { launchBrowser, type BrowserSession } from '../../support/browser';
import { copyWorkspace } from '../../support/workspace';
import { codeServerCli, requireEnv, startCodeServer, type CodeServer } from '../../support/codeServer';
import { repoRoot, sharedDir } from '../../support/paths';

export interface WorkbenchOptions {
  /** Folder to copy and open (default: the repo's demo/). The copy is deleted by stop(). */
  workspace?: string;
  /** A code-server of its own instead of the shared one (for tests that change user settings or global state). */
  freshServer?: boolean;
  /** Extra user settings; implies freshServer. */
  userSettings?: Record<string, unknown>;
  /** What of the folder's .medqa/ state to copy (default: SHIPPED_STATE, the shipped run only). */
  shippedState?: readonly string[];
}

export interface Workbench {
  readonly page: Page;
  readonly url: string;
  readonly workspaceDir: string;
  /** Runs a command by its title from the command palette, e.g. "MedQA: Show Log". */
  runCommand(title: string): Promise<void>;
  /** Clicks the MedQA Studio icon in the activity bar and waits for its three views. */
  openMedqaContainer(): Promise<void>;
  /** Saves `.test-results/screenshots/<name>.png` and returns its path. */
  screenshot(name: string): Promise<string>;
  /** Reloads the window (a fresh extension host on the same workspace). */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

export const screenshotsDir = path.join(repoRoot, '.test-results', 'screenshots');
export const MEDQA_VIEWS = ['QA Pairs', 'Runs', 'Checkpoints'] as const;
const MEDQA_ICON = '.activitybar .action-item a[aria-label^="MedQA Studio"]';

// esbuild bundles this module into every spec file and into hooks.js separately, so the run's state lives on
// globalThis: one shared server and one installed .vsix per mocha process, whichever copy asks.
interface E2eState {
  openWorkbenches: Set<Workbench>;
  sharedServer?: Promise<CodeServer>;
  installedExtensions?: { dir: string; root: string };
}
const state: E2eState = ((globalThis as { [key: symbol]: E2eState })[Symbol.for('medqa.e2e.workbench')] ??= {
  openWorkbenches: new Set(),
});
const { openWorkbenches } = state;

/** Packages the current out/ build into a .vsix and installs it into an extensions folder, once per mocha run. */
function extensionsDir(): string {
  if (state.installedExtensions) return state.installedExtensions.dir;
  const root = mkdtempSync(path.join(os.tmpdir(), 'medqa-e2e-extensions-'));
  const vsix = path.join(root, 'medqa-studio.vsix');
  const vsce = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  // With its dependencies: the .vsix must carry onnxruntime-node for the Playground (.vscodeignore picks the files).
  const packaged = spawnSync(
    process.execPath,
    [vsce, 'package', '--allow-missing-repository', '--skip-license', '-o', vsix],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  if (packaged.status !== 0) throw new Error(`vsce package failed:\n${packaged.stdout}${packaged.stderr}`);
  const dir = path.join(root, 'extensions');
  codeServerCli(
    ['--user-data-dir', path.join(root, 'user-data'), '--extensions-dir', dir, '--install-extension', vsix],
    {
      XDG_CONFIG_HOME: path.join(root, 'xdg-config'),
      XDG_DATA_HOME: path.join(root, 'xdg-data'),
    },
  );
  state.installedExtensions = { dir, root };
  return dir;
}

function serverOptions(userSettings: Record<string, unknown> = {}) {
  return {
    extensionsDir: extensionsDir(),
    userSettings: { 'medqa.pythonPath': requireEnv('MEDQA_PYTHON'), ...userSettings },
    env: { MEDQA_SHARED: sharedDir, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
    verbose: process.env.MEDQA_VERBOSE === '1',
  };
}

export async function startWorkbench(options: WorkbenchOptions = {}): Promise<Workbench> {
  const ownServer = options.freshServer === true || options.userSettings !== undefined;
  const server = ownServer
    ? await startCodeServer(serverOptions(options.userSettings))
    : await (state.sharedServer ??= startCodeServer(serverOptions()));
  const workspaceDir = copyWorkspace(
    options.workspace ?? path.join(repoRoot, 'demo'),
    undefined,
    options.shippedState,
  );
  let browser: BrowserSession | undefined;
  try {
    browser = await launchBrowser();
  } catch (error) {
    if (ownServer) await server.stop();
    throw error;
  }
  const { page } = browser;
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  if (process.env.MEDQA_VERBOSE === '1')
    page.on('console', (message) => console.log(`[browser] ${message.text()}`));
  const url = server.folderUrl(workspaceDir);

  // Ready means the extension's contributions are registered (its activity-bar icon shows): a command palette
  // opened before that would not list the MedQA commands.
  const waitForWorkbench = async () => {
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator(MEDQA_ICON).first().waitFor({ timeout: 60_000 });
  };

  const workbench: Workbench = {
    page,
    url,
    workspaceDir,
    async runCommand(title) {
      const palette = page.locator('.quick-input-widget').filter({ visible: true });
      const input = palette.locator('input.input').first();
      // The row whose label is exactly the title (fuzzy matching may put a longer command first), read as rendered
      // text: a reused row keeps a hidden description from an earlier quick pick in its textContent.
      const row = palette.locator('[data-medqa-command-row]').first();
      const markRow = (wanted: string) =>
        page.waitForFunction(
          (label) => {
            document
              .querySelectorAll('[data-medqa-command-row]')
              .forEach((element) => element.removeAttribute('data-medqa-command-row'));
            const widgets = Array.from(document.querySelectorAll<HTMLElement>('.quick-input-widget'));
            for (const widget of widgets.filter((element) => element.offsetParent !== null)) {
              const rows = Array.from(widget.querySelectorAll<HTMLElement>('.monaco-list-row'));
              for (const candidate of rows) {
                const shown =
                  candidate.querySelector<HTMLElement>('.quick-input-list-label .label-name') ??
                  candidate.querySelector<HTMLElement>('.quick-input-list-label');
                if (shown?.innerText.replace(/\s+/g, ' ').trim() === label) {
                  candidate.setAttribute('data-medqa-command-row', '');
                  return true;
                }
              }
            }
            return false;
          },
          wanted,
          { timeout: 10_000 },
        );
      for (let attempt = 1; ; attempt++) {
        if ((await palette.count()) > 0) await page.keyboard.press('Escape'); // a quick pick left open
        await page.keyboard.press('F1');
        try {
          await input.waitFor({ timeout: 5_000 });
        } catch {
          // F1 went nowhere: the keyboard focus was left on an element that is gone (a closed dialog's button, a
          // closed webview). Give it back to the editor area, where F1 opens the palette, and press again.
          await page
            .locator('.part.editor')
            .first()
            .click({ position: { x: 10, y: 10 }, force: true });
          await page.keyboard.press('F1');
          await input.waitFor();
        }
        await input.fill(`>${title}`);
        try {
          await markRow(title);
          break;
        } catch (error) {
          // The palette lists the commands known when it opened; a late registration shows on the next opening.
          if (attempt === 3) {
            // What the palette did show, to tell a missing command from a row this search no longer fits.
            const shown = await page.evaluate(() =>
              Array.from(document.querySelectorAll<HTMLElement>('.quick-input-widget .monaco-list-row')).map(
                (element) => element.innerText,
              ),
            );
            throw new Error(
              `"${title}" is not in the command palette: ${String(error)}\npalette rows: ${JSON.stringify(shown)}`,
            );
          }
        }
      }
      await row.click();
      // Done when the palette closed or gave way to the command's own quick input (no leading ">").
      await page.waitForFunction(() => {
        const open = Array.from(
          document.querySelectorAll<HTMLInputElement>('.quick-input-widget input.input'),
        ).filter((element) => element.offsetParent !== null);
        return open.every((element) => !element.value.startsWith('>'));
      });
    },
    async openMedqaContainer() {
      const icon = page.locator(MEDQA_ICON).first();
      await icon.waitFor();
      // Clicking the icon of the container already shown hides the side bar, and after a reload the side bar can
      // come back hidden while still holding MedQA: click only when it is not visibly shown, then check again.
      for (let attempt = 1; !(await sidebarShowsMedqa(page)); attempt++) {
        if (attempt > 3)
          throw new Error('the MedQA Studio side bar did not open after three clicks on its icon');
        await icon.click();
        await page
          .locator('.sidebar .composite.title .title-label', { hasText: /medqa studio/i })
          .first()
          .waitFor({ timeout: 5_000 })
          .catch(() => undefined);
      }
      for (const view of MEDQA_VIEWS) {
        await page
          .locator('.sidebar .pane-header', { hasText: new RegExp(`^\\s*${view}`, 'i') })
          .first()
          .waitFor();
      }
    },
    async screenshot(name) {
      mkdirSync(screenshotsDir, { recursive: true });
      const file = path.join(screenshotsDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async reload() {
      await page.reload();
      await waitForWorkbench();
    },
    async stop() {
      openWorkbenches.delete(workbench);
      await browser?.close();
      if (ownServer) await server.stop();
      rmSync(path.dirname(workspaceDir), { recursive: true, force: true, maxRetries: 3 });
    },
  };
  openWorkbenches.add(workbench);
  try {
    await page.goto(url);
    await waitForWorkbench();
  } catch (error) {
    await workbench.screenshot('workbench-start-failure').catch(() => undefined);
    await workbench.stop();
    throw error;
  }
  return workbench;
}

async function sidebarShowsMedqa(page: Page): Promise<boolean> {
  // Visible, not merely present: a hidden side bar keeps its last title in the DOM.
  const title = page.locator('.sidebar .composite.title .title-label', { hasText: /medqa studio/i }).first();
  return title.isVisible();
}

/** Workbenches a test left open (for failure screenshots). */
export function activeWorkbenches(): Workbench[] {
  return [...openWorkbenches];
}

/** Stops whatever is still running: open workbenches, the shared code-server, the installed extension. */
export async function stopAll(): Promise<void> {
  for (const workbench of [...openWorkbenches]) await workbench.stop().catch(() => undefined);
  const server = await state.sharedServer?.catch(() => undefined);
  state.sharedServer = undefined;
  await server?.stop();
  if (state.installedExtensions) rmSync(state.installedExtensions.root, { recursive: true, force: true });
  state.installedExtensions = undefined;
}

/**
 * Right-clicks `row` and chooses `label` from its context menu. code-server's menu ignores a click that follows
 * its opening too closely (seen under load), so point at the item and press Enter, as a keyboard user would.
 */
export async function chooseFromContextMenu(page: Page, row: Locator, label: string): Promise<void> {
  await row.click({ button: 'right' });
  const item = page.locator('.context-view .action-label', { hasText: label }).first();
  await item.hover();
  await page.keyboard.press('Enter');
}
