// The integration suite's runner: ONE code-server with the smoke-test driver, a temp copy of demo/ as the workspace,
// this repo as the extension under development and out/test/integration/index.js as its tests. Chromium opens the
// workbench; the extension host runs mocha and reports back through `codeAutomationExit`.
// Usage: node out/test/integration/run.js [--grep PATTERN] [--verbose]   (./studio test integration sets the env)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import type { ConsoleMessage, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser';
import { copyWorkspace } from '../support/workspace';
import { requireEnv, startCodeServer } from '../support/codeServer';
import { repoRoot, sharedDir } from '../support/paths';
import { COUNTS_PREFIX } from './index';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const argv = process.argv.slice(2);
const grep = argv.includes('--grep') ? argv[argv.indexOf('--grep') + 1] : undefined;
const verbose = argv.includes('--verbose') || process.env.MEDQA_VERBOSE === '1';
const timeoutMs = Number(process.env.MEDQA_INTEGRATION_TIMEOUT_S ?? 1200) * 1000;

async function main(): Promise<number> {
  const started = Date.now();
  const python = requireEnv('MEDQA_PYTHON');
  const workspace = copyWorkspace(path.join(repoRoot, 'demo'));
  const server = await startCodeServer({
    smokeTestDriver: true,
    verbose,
    userSettings: { 'medqa.pythonPath': python },
    env: {
      MEDQA_SHARED: sharedDir,
      MEDQA_TEST_GREP: grep ?? process.env.MEDQA_TEST_GREP ?? '',
      // Extension-host code must not reach for a model hub.
      HF_HUB_OFFLINE: '1',
      TRANSFORMERS_OFFLINE: '1',
    },
  });
  const browser = await launchBrowser();
  let counts: Counts | undefined;
  try {
    const { page } = browser;
    let exited: (code: number) => void = () => undefined;
    const exitCode = new Promise<number>((resolve) => (exited = resolve));
    // The workbench calls this when the index's run() settles: 0 resolved, 1 rejected.
    await page.exposeFunction('codeAutomationExit', (code: number) => exited(code));
    // Extension-host output (mocha's report) arrives as console calls; format them in order, as node would print them.
    let printing = Promise.resolve();
    page.on('console', (message) => {
      printing = printing.then(async () => {
        const text = await consoleText(message);
        const at = text.indexOf(COUNTS_PREFIX);
        if (at >= 0)
          counts = JSON.parse(
            text
              .slice(at + COUNTS_PREFIX.length)
              .trim()
              .split('\n')[0],
          ) as Counts;
        if (verbose || (fromExtensionHost(message) && !OFFLINE_NOISE.test(text)))
          process.stdout.write(`${text}\n`);
      });
    });
    page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
    const payload: [string, string][] = [
      ['extensionDevelopmentPath', server.remoteUri(repoRoot)],
      ['extensionTestsPath', server.remoteUri(path.join(repoRoot, 'out', 'test', 'integration', 'index.js'))],
    ];
    await page.goto(server.folderUrl(workspace, payload));
    const timeout = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), timeoutMs).unref(),
    );
    const outcome = await Promise.race([exitCode, timeout]);
    await printing; // the counts line may still be in the console queue
    if (outcome === 'timeout') {
      await screenshot(page, 'integration-timeout');
      console.error(
        `[integration] no result after ${timeoutMs / 1000} s (MEDQA_INTEGRATION_TIMEOUT_S). ` +
          `The tests may hang or the extension host failed to start; code-server log: ${server.logFile}`,
      );
      counts = {
        passed: counts?.passed ?? 0,
        failed: (counts?.failed ?? 0) + 1,
        skipped: counts?.skipped ?? 0,
      };
    } else {
      if (!counts) {
        console.error(
          `[integration] the extension host exited with ${outcome} without a counts line (see the output above)`,
        );
        counts = { passed: 0, failed: 1, skipped: 0 };
      } else if (outcome !== 0 && counts.failed === 0) {
        counts.failed = 1; // the index rejected for a reason mocha did not count
      }
      if (counts.failed > 0) await screenshot(page, 'integration-failure');
    }
  } finally {
    await browser.close();
    await server.stop();
    rmSync(path.dirname(workspace), { recursive: true, force: true });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `[integration] ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped in ${seconds} s`,
  );
  const resultsFile = process.env.MEDQA_RESULTS_FILE;
  if (resultsFile) {
    mkdirSync(path.dirname(resultsFile), { recursive: true });
    writeFileSync(resultsFile, JSON.stringify({ suite: 'integration', ...counts }));
  }
  return counts.failed > 0 ? 1 : 0;
}

async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(repoRoot, '.test-results', 'screenshots', `${name}.png`);
  mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file }).catch(() => undefined);
  console.error(`[integration] screenshot: ${file}`);
}

/** Extension-host logs reach the page as console.log('%c INFO', 'color: …', ...args). */
function fromExtensionHost(message: ConsoleMessage): boolean {
  return message.text().startsWith('%c ');
}

/** The workbench's expected complaints on a machine with no internet (extension gallery, GitHub sign-in). */
const OFFLINE_NOISE = /ENOTFOUND|authentication provider 'github'|Failed to load resource/;

async function consoleText(message: ConsoleMessage): Promise<string> {
  const args = await Promise.all(message.args().map((arg) => arg.jsonValue().catch(() => String(arg))));
  if (fromExtensionHost(message) && args.length >= 2) args.splice(0, 2);
  return args.length > 0 ? format(...args) : message.text();
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[integration] ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
