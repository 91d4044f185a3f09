import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';
import {
  answer,
  focusWorkbench,
  markLensUnder,
  pressedFlag,
  pressedGrade,
  revealAnswer,
  setMode,
  shownExample,
  until,
} from './support/gradingPanel';
import { pick, quickInput, runCommandAndPick, webviewFrame } from './support/quickPick';
import { startWorkbench, type Workbench } from './support/workbench';

const RUN = 'smollm2-medquad-cpu-small';
const shippedRun = path.join(repoRoot, 'demo', '.medqa', 'runs', RUN);
const TOTAL = 200;

/** One line of `.medqa/grades/<grader>.jsonl` (the fields this test reads). */
interface GradeLine {
  kind: 'grade' | 'preference';
  example: string;
  side?: 'base' | 'adapter';
  grade?: number | null;
  flags?: string[];
  blind?: unknown;
}

/** The reference answer of an example of the shipped evaluation. */
function shippedReference(evaluation: string, id: string): string {
  const predictions = path.join(shippedRun, 'evaluations', evaluation, 'adapter', 'predictions.jsonl');
  const rows = readFileSync(predictions, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { id: string; reference: string });
  const row = rows.find((r) => r.id === id);
  assert.ok(row, `${id} in ${predictions}`);
  return row.reference;
}

/** The open grades of the fine-tuned answers in the workspace's grade file: the latest line per example wins. */
function fineTunedGrades(workspaceDir: string): Map<string, GradeLine> {
  const dir = path.join(workspaceDir, '.medqa', 'grades');
  const files = readdirSync(dir).filter((name) => name.endsWith('.jsonl'));
  assert.equal(files.length, 1, `one grader's file in ${dir}: ${files.join(', ')}`);
  const latest = new Map<string, GradeLine>();
  for (const line of readFileSync(path.join(dir, files[0]), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const record = JSON.parse(line) as GradeLine;
    if (record.kind === 'grade' && record.side === 'adapter' && record.blind === undefined)
      latest.set(record.example, record);
  }
  return latest;
}

/**
 * Runs a command that asks "which evaluation?" only when it cannot tell (the Grading panel already open, e.g.
 * restored by a reload, answers for it): picks the evaluation when asked, until `ready` holds.
 */
async function runAndPickIfAsked(
  workbench: Workbench,
  command: string,
  pickTitle: string,
  rowText: string,
  ready: () => Promise<boolean>,
): Promise<void> {
  const { page } = workbench;
  for (let attempt = 1; ; attempt++) {
    await focusWorkbench(page);
    try {
      await workbench.runCommand(command);
      break;
    } catch (error) {
      // The palette closed under the typing: a webview took the focus as it loaded (after a reload).
      if (attempt === 3) throw error;
      console.log(`    (the command palette closed before "${command}" was chosen; trying again)`);
    }
  }
  const title = page.locator('.quick-input-widget .quick-input-title', { hasText: pickTitle });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (await title.isVisible()) {
      await pick(page, pickTitle, rowText);
      await title.waitFor({ state: 'hidden' });
    } else if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`"${command}" neither asked "${pickTitle}" nor got ready`);
    await page.waitForTimeout(250);
  }
}

describe('grading: a researcher grades the answers of the shipped evaluation', function () {
  this.timeout(240_000);
  let workbench: Workbench;
  let evaluation: string;
  /** Examples graded in the panel (file order 1–3) and through the CodeLens (the 4th), with their grades. */
  const graded = new Map<string, { grade: number; flags: string[] }>();
  let first = '';
  /** The blind grade the fine-tuned answer got (3 when it was shown as A, else 2). */
  let blindAdapterGrade = 0;

  const gradingFrame = () => webviewFrame(workbench.page);
  const progress = (text: string) =>
    gradingFrame().locator('#progress', { hasText: new RegExp(`^${text}$`) });

  before(async () => {
    [evaluation] = readdirSync(path.join(shippedRun, 'evaluations'));
    workbench = await startWorkbench();
  });

  after(async () => {
    await workbench?.stop();
  });

  it('grades three answers with the keyboard in the Grading panel', async () => {
    const { page } = workbench;
    await runCommandAndPick(
      page,
      'MedQA: Grade Answers…',
      'Grade the answers of which evaluation?',
      `${RUN} · ${evaluation}`,
    );
    const frame = gradingFrame();
    await progress(`0 / ${TOTAL} graded`).waitFor({ timeout: 60_000 });
    await frame.locator('#title', { hasText: evaluation }).waitFor();
    await frame.locator('#position', { hasText: `1 of ${TOTAL}` }).waitFor();
    // Fine-tuned is graded; the base model's answer is there for context.
    await answer(frame, 'adapter').locator('.answer-label', { hasText: 'Fine-tuned' }).waitFor();
    await answer(frame, 'base').locator('.answer-label', { hasText: 'Base model' }).waitFor();

    // Keys go to the panel once it has the focus (a click on its text, not in a comment box).
    await frame.locator('#question').click();
    first = await shownExample(frame);
    await page.keyboard.press('3');
    await pressedGrade(frame, 'adapter', 3).waitFor();
    graded.set(first, { grade: 3, flags: [] });

    await page.keyboard.press('j');
    await frame.locator('#position', { hasText: `2 of ${TOTAL}` }).waitFor();
    const second = await shownExample(frame);
    assert.notEqual(second, first);
    // Grade and flag in one go, as a fast grader types: neither may undo the other.
    await page.keyboard.press('2');
    await page.keyboard.press('s');
    await pressedGrade(frame, 'adapter', 2).waitFor();
    await pressedFlag(frame, 'adapter', 'unsafe').waitFor();
    graded.set(second, { grade: 2, flags: ['unsafe'] });

    await page.keyboard.press('j');
    await frame.locator('#position', { hasText: `3 of ${TOTAL}` }).waitFor();
    const third = await shownExample(frame);
    assert.ok(!graded.has(third));
    await page.keyboard.press('4');
    await pressedGrade(frame, 'adapter', 4).waitFor();
    graded.set(third, { grade: 4, flags: [] });

    await progress(`3 / ${TOTAL} graded`).waitFor();
    assert.equal(
      await answer(frame, 'adapter').locator('.answer-grade').textContent(),
      'Graded 4',
      'the card says its grade',
    );
    // Back on the second example, its grade and flag are both still there.
    await page.keyboard.press('k');
    await frame.locator('#position', { hasText: `2 of ${TOTAL}` }).waitFor();
    await pressedGrade(frame, 'adapter', 2).waitFor();
    await pressedFlag(frame, 'adapter', 'unsafe').waitFor();
    await page.keyboard.press('j');
    await frame.locator('#position', { hasText: `3 of ${TOTAL}` }).waitFor();
    await workbench.screenshot('grading-panel');
  });

  it('grades the fourth answer through its CodeLens in the answers document', async () => {
    const { page } = workbench;
    await focusWorkbench(page);
    await workbench.runCommand('MedQA: Open Answers as Document');
    // The evaluation is asked for unless the Grading panel (open now) tells which one.
    const { title } = await quickInput(page);
    await title
      .filter({ hasText: /Open the answers of which evaluation\?|Whose answers\?/ })
      .first()
      .waitFor();
    if (await title.filter({ hasText: 'Open the answers of which evaluation?' }).isVisible())
      await pick(page, 'Open the answers of which evaluation?', `${RUN} · ${evaluation}`);
    await pick(page, 'Whose answers?', 'Fine-tuned');
    await page.locator('.tab.active', { hasText: 'Fine-tuned answers' }).waitFor({ timeout: 60_000 });
    await page.locator('.editor-instance .codelens-decoration').first().waitFor({ timeout: 60_000 });

    // Bring the 4th answer into view.
    const fourth = await revealAnswer(page, 4, 'Fine-tuned answers ·');
    assert.ok(!graded.has(fourth), 'the 4th answer was not graded in the panel');
    const before = await until(
      page,
      'the CodeLens of the 4th answer',
      () => markLensUnder(page, 4),
      (text) => text !== undefined && text.includes('Ungraded'),
    );
    assert.match(before ?? '', /Ungraded \| 1 \| 2 \| 3 \| 4 \| Flags… \| Compare with Reference/);

    const lens = page.locator('[data-e2e-lens="4"] a').filter({ hasText: /^1$/ });
    await lens.click();
    const after = await until(
      page,
      'the CodeLens of the 4th answer to show its grade',
      () => markLensUnder(page, 4),
      (text) => text !== undefined && /^\s*1 · Incorrect \|/.test(text),
    );
    assert.ok(!after?.includes('Ungraded'));
    graded.set(fourth, { grade: 1, flags: [] });
    await workbench.screenshot('grading-codelens');
  });

  it('keeps every grade across a window reload, in the panel and in the grades file', async () => {
    const { page } = workbench;
    await workbench.reload();
    // The Grading panel, when it comes back by itself as the active editor, takes the focus once its webview has
    // loaded: let it load before using the palette.
    if (await page.locator('.tab.active', { hasText: 'MedQA Grading' }).count())
      await progress(`4 / ${TOTAL} graded`).waitFor({ timeout: 60_000 });
    await runAndPickIfAsked(
      workbench,
      'MedQA: Grade Answers…',
      'Grade the answers of which evaluation?',
      `${RUN} · ${evaluation}`,
      () => progress(`4 / ${TOTAL} graded`).isVisible(),
    );
    const frame = gradingFrame();
    await frame.locator('#position', { hasText: `1 of ${TOTAL}` }).waitFor();
    assert.equal(await shownExample(frame), first);
    await pressedGrade(frame, 'adapter', 3).waitFor();
    assert.equal(await pressedGrade(frame, 'adapter', 4).count(), 0);

    const lines = fineTunedGrades(workbench.workspaceDir);
    assert.deepEqual([...lines.keys()].sort(), [...graded.keys()].sort());
    for (const [id, expected] of graded) {
      const line = lines.get(id);
      assert.equal(line?.grade, expected.grade, `grade of ${id}`);
      assert.deepEqual(line?.flags, expected.flags, `flags of ${id}`);
    }
  });

  it('opens the answer against its reference in the diff editor', async () => {
    const { page } = workbench;
    const frame = gradingFrame();
    await answer(frame, 'adapter').locator('button.diff-reference').click();
    await page.locator('.monaco-diff-editor').first().waitFor({ state: 'visible', timeout: 60_000 });
    const tab = page.locator('.tab.active', { hasText: 'Reference' });
    await tab.waitFor();
    const label = (await tab.textContent()) ?? '';
    assert.ok(label.includes(`${first}: Reference ↔ Fine-tuned`), `diff tab: ${label}`);
    // Both sides get their text: the reference on the left, the fine-tuned answer on the right.
    const diff = page.locator('.monaco-diff-editor').first();
    const referenceStart = shippedReference(evaluation, first).trim().split(/\s+/).slice(0, 3).join(' ');
    await diff
      .locator('.editor.original .view-lines', { hasText: referenceStart })
      .waitFor({ timeout: 60_000 });
    await diff.locator('.editor.modified .view-line', { hasText: /\S/ }).first().waitFor();
    await workbench.screenshot('grading-diff');
  });

  it('grades blind: A and B without names, a preference, then the reveal', async () => {
    const { page } = workbench;
    await page.locator('.tab', { hasText: 'MedQA Grading' }).first().click();
    const frame = gradingFrame();
    await progress(`4 / ${TOTAL} graded`).waitFor({ timeout: 60_000 });
    await setMode(frame, 'blind');
    await answer(frame, 'A').waitFor();
    await answer(frame, 'B').waitFor();
    await progress(`0 / ${TOTAL} graded`).waitFor();
    assert.deepEqual(await frame.locator('section.answer .answer-label').allTextContents(), [
      'Answer A',
      'Answer B',
    ]);
    const shown = (await frame.locator('#answers').textContent()) ?? '';
    assert.ok(!shown.includes('Fine-tuned') && !shown.includes('Base model'), 'blind cards name no model');
    assert.match((await frame.locator('#reveal').textContent()) ?? '', /Identities are hidden/);
    // Blind mode starts on an example graded neither blind nor openly, not on the one on screen.
    assert.ok(
      ![...graded.keys()].includes(await shownExample(frame)),
      'blind A/B starts on an ungraded example',
    );
    assert.equal(await answer(frame, 'A').locator('button.grade[aria-pressed="true"]').count(), 0);

    await frame.locator('#question').click();
    await page.keyboard.press('a');
    await page.keyboard.press('3');
    await pressedGrade(frame, 'A', 3).waitFor();
    // The keys stay on A (its flags may follow); B is chosen with its key.
    await frame.locator('section.answer.focused[data-slot="A"]').waitFor();
    assert.equal(await frame.locator('#preference button[data-preference="A"]').isDisabled(), true);
    await page.keyboard.press('b');
    await frame.locator('section.answer.focused[data-slot="B"]').waitFor();
    await page.keyboard.press('2');
    await pressedGrade(frame, 'B', 2).waitFor();
    await frame.locator('#preference button[data-preference="A"]:not([disabled])').waitFor();
    assert.match((await frame.locator('#reveal').textContent()) ?? '', /Identities are hidden/);

    await page.keyboard.press('Shift+A');
    const reveal = frame.locator('#reveal', {
      hasText: /^A was (Fine-tuned · B was Base model|Base model · B was Fine-tuned)$/,
    });
    await reveal.waitFor();
    blindAdapterGrade = /^A was Fine-tuned/.test((await reveal.textContent()) ?? '') ? 3 : 2;
    await frame.locator('#preference button[data-preference="A"][aria-pressed="true"]').waitFor();
    await progress(`1 / ${TOTAL} graded`).waitFor();
    await workbench.screenshot('grading-blind-revealed');
  });

  it('shows the human grades beside the metrics', async () => {
    const { page } = workbench;
    await focusWorkbench(page);
    await runCommandAndPick(page, 'MedQA: Show Metrics…', 'Show which evaluation?', `${RUN} · ${evaluation}`);
    const frame = webviewFrame(page);
    const fineTuned = frame.locator('#grades-table tr[data-side="adapter"]');
    await fineTuned.waitFor({ timeout: 60_000 });
    const count = Number(await fineTuned.locator('td').first().textContent());
    assert.equal(count, 5, 'four open grades and one blind one');
    assert.match((await fineTuned.locator('th').textContent()) ?? '', /Fine-tuned/);
    // Its mean is that of the open grades 3, 2, 4 and 1 and the blind grade of the fifth answer (blind mode starts on
    // an answer not graded openly).
    const mean = ((3 + 2 + 4 + 1 + blindAdapterGrade) / 5).toFixed(2);
    assert.match((await fineTuned.locator('td').nth(1).textContent()) ?? '', new RegExp(`^${mean}`));
    const base = Number(await frame.locator('#grades-table tr[data-side="base"] td').first().textContent());
    assert.ok(base >= 1, `base graded count ${base}`);
    await frame
      .locator('#grades-preference', { hasText: /Blind A\/B: fine-tuned preferred in .* of 1 / })
      .waitFor();
    await frame.locator('#grades-card').scrollIntoViewIfNeeded();
    await workbench.screenshot('grading-metrics');
  });
});
