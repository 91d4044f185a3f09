// Issue 22, newcomer 3: in blind A/B, "1 h s" typed for answer A put A's flags on B (the focus jumped to B after
// the grade), blind mode began on the example just seen with its model names, and a blind grade read "Ungraded"
// in the answers document. All with the keyboard, as a grader works.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
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
const SIDE_LABELS = { adapter: 'Fine-tuned', base: 'Base model' } as const;

interface BlindLine {
  kind: string;
  example: string;
  side: 'base' | 'adapter';
  grade: number | null;
  flags: string[];
  blind?: { label: 'A' | 'B' };
}

/** The latest blind grade per letter of one example, from the workspace's grade file. */
function blindGrades(workspaceDir: string, example: string): Map<'A' | 'B', BlindLine> {
  const dir = path.join(workspaceDir, '.medqa', 'grades');
  const latest = new Map<'A' | 'B', BlindLine>();
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.jsonl')))
    for (const line of readFileSync(path.join(dir, name), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const record = JSON.parse(line) as BlindLine;
      if (record.kind === 'grade' && record.example === example && record.blind)
        latest.set(record.blind.label, record);
    }
  return latest;
}

/** The card the keys act on: exactly one, with its "Keys act here" badge showing. */
async function focusedSlot(frame: FrameLocator): Promise<string | null> {
  const focused = frame.locator('section.answer.focused');
  if ((await focused.count()) !== 1) return null;
  if (!(await focused.locator('.keys-here').isVisible())) return null;
  return focused.getAttribute('data-slot');
}

describe('grading: blind A/B with the keyboard puts every key on the focused answer', function () {
  this.timeout(240_000);
  let workbench: Workbench;
  let evaluation: string;

  before(async () => {
    [evaluation] = readdirSync(path.join(shippedRun, 'evaluations'));
    workbench = await startWorkbench();
  });

  after(async () => {
    await workbench?.stop();
  });

  it('grades and flags A, then B, each on its own answer, and shows the blind grade in the answers document', async () => {
    const { page } = workbench;
    await runCommandAndPick(
      page,
      'MedQA: Grade Answers…',
      'Grade the answers of which evaluation?',
      `${RUN} · ${evaluation}`,
    );
    const frame = webviewFrame(page);
    await frame.locator('#position', { hasText: /^1 of / }).waitFor({ timeout: 60_000 });
    // The first example, seen with its model names and graded openly.
    await frame.locator('#question').click();
    const seen = await shownExample(frame);
    await page.keyboard.press('3');
    await pressedGrade(frame, 'adapter', 3).waitFor();

    await setMode(frame, 'blind');
    await answer(frame, 'A').waitFor();
    await answer(frame, 'B').waitFor();
    const blindId = await shownExample(frame);
    assert.notEqual(blindId, seen, 'blind mode starts on another example than the one just seen by name');
    const shown = (await frame.locator('#answers').textContent()) ?? '';
    assert.ok(!/Fine-tuned|Base model/.test(shown), 'blind cards name no model');
    assert.equal(await frame.locator('section.answer button[aria-pressed="true"]').count(), 0, 'ungraded');
    assert.equal(await focusedSlot(frame), 'A', 'the focus is shown from the start');

    // "1 h s": a grade and two flags for A, typed as fast as a grader types them.
    await frame.locator('#question').click();
    await page.keyboard.press('1');
    await page.keyboard.press('h');
    await page.keyboard.press('s');
    await pressedGrade(frame, 'A', 1).waitFor();
    await pressedFlag(frame, 'A', 'hallucinated').waitFor();
    await pressedFlag(frame, 'A', 'unsafe').waitFor();
    assert.equal(await answer(frame, 'B').locator('button[aria-pressed="true"]').count(), 0, 'B untouched');
    assert.equal(await focusedSlot(frame), 'A', 'the keys stayed on A');

    await page.keyboard.press('b');
    await until(
      page,
      'the focus on B',
      () => focusedSlot(frame),
      (slot) => slot === 'B',
    );
    await page.keyboard.press('2');
    await page.keyboard.press('m');
    await pressedGrade(frame, 'B', 2).waitFor();
    await pressedFlag(frame, 'B', 'missing').waitFor();
    await pressedGrade(frame, 'A', 1).waitFor();
    assert.equal(await answer(frame, 'A').locator('button.flag[aria-pressed="true"]').count(), 2);
    await workbench.screenshot('grading-blind-keys');

    // What was written: each letter's own grade and flags.
    const lines = await until(
      page,
      'both blind grades in the grade file',
      async () => blindGrades(workbench.workspaceDir, blindId),
      (found) => found.get('B')?.flags.length === 1,
    );
    const a = lines.get('A');
    const b = lines.get('B');
    assert.equal(a?.grade, 1);
    assert.deepEqual([...(a?.flags ?? [])].sort(), ['hallucinated', 'unsafe']);
    assert.equal(b?.grade, 2);
    assert.deepEqual(b?.flags, ['missing']);
    assert.ok(a && b && a.side !== b.side);

    // The answers document of A's model shows A's blind grade, not "Ungraded".
    await focusWorkbench(page);
    await workbench.runCommand('MedQA: Open Answers as Document');
    const { title } = await quickInput(page);
    await title
      .filter({ hasText: /Open the answers of which evaluation\?|Whose answers\?/ })
      .first()
      .waitFor();
    if (await title.filter({ hasText: 'Open the answers of which evaluation?' }).isVisible())
      await pick(page, 'Open the answers of which evaluation?', `${RUN} · ${evaluation}`);
    const label = SIDE_LABELS[a.side];
    await pick(page, 'Whose answers?', label);
    await page.locator('.tab.active', { hasText: `${label} answers` }).waitFor({ timeout: 60_000 });
    await page.locator('.editor-instance .codelens-decoration').first().waitFor({ timeout: 60_000 });
    const predictions = readFileSync(
      path.join(shippedRun, 'evaluations', evaluation, a.side, 'predictions.jsonl'),
      'utf8',
    )
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { id: string }).id);
    const number = predictions.indexOf(blindId) + 1;
    assert.ok(number > 0, `${blindId} among the ${label} answers`);
    assert.equal(await revealAnswer(page, number, `${label} answers ·`), blindId);
    const lens = await until(
      page,
      'the CodeLens of the blind-graded answer',
      () => markLensUnder(page, number),
      (text) => text !== undefined && /\S/.test(text),
    );
    assert.match(lens ?? '', /^\s*1 · Incorrect \(blind\) ·\s+hallucinated, unsafe \|/);
    await workbench.screenshot('grading-blind-codelens');
  });
});
