import type { Locator, Page } from 'playwright-core';

/** Polls `condition` every 200 ms until it holds; fails with `message` after `timeoutMs` (generous: CI is busy). */
export async function until(
  condition: () => Promise<boolean>,
  message: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Error notifications that end a wait early (any failure the extension reports, with its own words). */
const ERROR_TOAST = /failed|cannot|MedQA:.*error/i;

/**
 * Waits for `target`, failing at once with the notification's text when an error notification shows instead
 * (`alsoFailOn` adds texts that mean failure for this wait, e.g. a missing index).
 */
export async function waitOrFail(
  page: Page,
  target: Locator,
  timeout: number,
  what: string,
  alsoFailOn?: RegExp,
): Promise<void> {
  const pattern = alsoFailOn ? new RegExp(`${ERROR_TOAST.source}|${alsoFailOn.source}`, 'i') : ERROR_TOAST;
  const failure = page.locator('.notifications-toasts .notification-toast', { hasText: pattern });
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await target.first().isVisible()) return;
    if (await failure.first().isVisible())
      throw new Error(`${what}: ${(await failure.first().textContent()) ?? 'an error notification'}`);
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${timeout / 1000} s`);
    await page.waitForTimeout(500);
  }
}

/** The MedQA container's Checkpoints view (its pane in the side bar). */
export function checkpointsPane(page: Page): Locator {
  return page.locator('.sidebar .pane', {
    has: page.locator('.pane-header', { hasText: /^\s*Checkpoints/i }),
  });
}
