// Debian's chromium driven by playwright-core (no browser download: the test tools' own browsers cannot be fetched here).
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Without these chromium keeps trying to reach Google's hosts, which this closed network refuses.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A fresh profile (so no workbench state leaks between runs) with one page. */
export async function launchBrowser(): Promise<BrowserSession> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'medqa-chromium-'));
  const context = await chromium.launchPersistentContext(path.join(profile, 'profile'), {
    executablePath: process.env.MEDQA_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    env: {
      ...process.env,
      XDG_CONFIG_HOME: path.join(profile, 'xdg-config'),
      XDG_CACHE_HOME: path.join(profile, 'xdg-cache'),
    },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
