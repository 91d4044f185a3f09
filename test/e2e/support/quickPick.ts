import type { FrameLocator, Page } from 'playwright-core';

/** The open quick input (palette, quick pick or input box) and its parts. */
export async function quickInput(page: Page) {
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible' });
  return {
    widget,
    input: widget.locator('input.input').first(),
    title: widget.locator('.quick-input-title'),
  };
}

/** Filters the open quick pick whose title matches `stepTitle` and picks the row whose label contains `text`. */
export async function pick(page: Page, stepTitle: RegExp | string, text: string): Promise<void> {
  const { widget, input, title } = await quickInput(page);
  await title.filter({ hasText: stepTitle }).waitFor();
  await input.fill(text);
  await widget.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().click();
}

/**
 * Runs a palette command that opens its own quick pick and picks a row there. The palette stays open for the
 * command's quick pick, so this cannot use workbench.runCommand (which waits for the palette to close).
 *
 * The quick pick closes when another part of the window takes the focus, as a webview that finishes loading can do
 * (seen in CI: the row was found, then hidden before the click landed). A closed pick accepts nothing, so the command
 * did nothing and running it again is safe. The row is filtered and accepted with Enter, which needs no stable
 * layout, unlike a click on a list that is still animating in.
 */
export async function runCommandAndPick(
  page: Page,
  command: string,
  pickTitle: string,
  rowText: string,
): Promise<void> {
  const attempts = 3;
  for (let attempt = 1; ; attempt++) {
    try {
      await page.keyboard.press('F1');
      const { widget, input } = await quickInput(page);
      await input.fill(`>${command}`);
      await widget.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().click();
      await widget.locator('.quick-input-title', { hasText: pickTitle }).waitFor({ timeout: 20_000 });
      await input.fill(rowText);
      const row = widget.locator('.quick-input-list .monaco-list-row.focused', { hasText: rowText }).first();
      await row.waitFor({ timeout: 10_000 });
      await input.press('Enter', { timeout: 5_000 });
      await widget
        .locator('.quick-input-title', { hasText: pickTitle })
        .waitFor({ state: 'hidden', timeout: 10_000 });
      return;
    } catch (error) {
      if (attempt === attempts) throw error;
      await page.keyboard.press('Escape');
    }
  }
}

/** A webview panel's app frame (webviews are an iframe in an iframe). */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}
