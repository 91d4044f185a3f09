// The Grading panel and the answers document as the grading e2e specs drive them.
import * as assert from 'node:assert/strict';
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** The answer card of a slot ('adapter' / 'base', or 'A' / 'B' in blind mode). */
export const answer = (frame: FrameLocator, slot: string): Locator =>
  frame.locator(`section.answer[data-slot="${slot}"]`);

/** A grade button of a slot, shown pressed (the host wrote the grade and pushed the new state). */
export const pressedGrade = (frame: FrameLocator, slot: string, grade: number): Locator =>
  answer(frame, slot).locator(`button.grade[data-grade="${grade}"][aria-pressed="true"]`);

export const pressedFlag = (frame: FrameLocator, slot: string, flag: string): Locator =>
  answer(frame, slot).locator(`button.flag[data-flag="${flag}"][aria-pressed="true"]`);

/** The `#example` id shown now. */
export async function shownExample(frame: FrameLocator): Promise<string> {
  const id = await frame.locator('#example').getAttribute('data-id');
  assert.ok(id, 'the panel shows an example');
  return id;
}

/**
 * Gives the keyboard back to the workbench (a click on the side bar's title) before using the command palette. From
 * inside a webview the palette is reached too, but it may then give the focus back to the webview as it closes,
 * which closes the quick pick the command opens right after (seen under load), or, in a webview still loading
 * after a reload, F1 does not reach the workbench at all.
 */
export async function focusWorkbench(page: Page): Promise<void> {
  await page.locator('.part.sidebar .composite.title').first().click();
}

/**
 * The CodeLens row of the answers document that sits under the heading "## <number> · …" (the lens is above that
 * answer's "### Answer" line): marks it with data-e2e-lens so that a locator finds it, and returns its text.
 * Undefined while the heading or its lens is not rendered.
 */
export async function markLensUnder(page: Page, number: number): Promise<string | undefined> {
  return page.evaluate((n) => {
    document.querySelectorAll('[data-e2e-lens]').forEach((e) => e.removeAttribute('data-e2e-lens'));
    const heading = Array.from(document.querySelectorAll<HTMLElement>('.view-line')).find((line) =>
      new RegExp(`^##\\s${n}\\s·\\s`).test(line.textContent ?? ''),
    );
    if (!heading) return undefined;
    const top = heading.getBoundingClientRect().top;
    const below = Array.from(document.querySelectorAll<HTMLElement>('.codelens-decoration'))
      .map((lens) => ({ lens, top: lens.getBoundingClientRect().top }))
      .filter((l) => l.top > top)
      .sort((a, b) => a.top - b.top)[0];
    if (!below) return undefined;
    below.lens.setAttribute('data-e2e-lens', String(n));
    return (below.lens.textContent ?? '').replace(/\u00a0/g, ' ');
  }, number);
}

/** The text of the heading "## <number> · <id> · …" of the answers document (rendered), spaces normalized. */
export async function headingText(page: Page, number: number): Promise<string | undefined> {
  return page.evaluate((n) => {
    const line = Array.from(document.querySelectorAll<HTMLElement>('.view-line')).find((l) =>
      new RegExp(`^##\\s${n}\\s·\\s`).test(l.textContent ?? ''),
    );
    return line?.textContent?.replace(/\u00a0/g, ' ');
  }, number);
}

/** Polls `probe` until `accept` takes its value (generous, for a loaded machine). */
export async function until<T>(
  page: Page,
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!accept(value)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${String(value)}`);
    await page.waitForTimeout(250);
    value = await probe();
  }
  return value;
}

/** Switches the panel between single and blind grading (the select, as a user picks it). */
export async function setMode(frame: FrameLocator, mode: 'single' | 'blind'): Promise<void> {
  await frame.locator('#mode').evaluate((select, value) => {
    (select as HTMLElement & { value: string }).value = value;
    select.dispatchEvent(new Event('change'));
  }, mode);
}

/**
 * In the answers document open now, brings answer number `n` into view (the find widget, then down to its
 * "### Answer" line) and returns its example id, read from the heading.
 */
export async function revealAnswer(page: Page, n: number, title: string): Promise<string> {
  // A click on the title line: a click lower could land on a CodeLens.
  await page.locator('.editor-instance .view-line', { hasText: title }).first().click();
  await page.keyboard.press('Control+f');
  const find = page.locator('.find-widget .input').first();
  await find.waitFor();
  await find.fill(`## ${n} · `);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowDown');
  const heading = await until(
    page,
    `the heading of answer ${n}`,
    () => headingText(page, n),
    (text) => text !== undefined,
  );
  const id = new RegExp(`^## ${n} · (\\S+) · `).exec(heading ?? '')?.[1];
  assert.ok(id, `an example id in "${heading}"`);
  return id;
}
