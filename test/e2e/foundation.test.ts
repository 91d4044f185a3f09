import * as assert from 'node:assert/strict';
import { MEDQA_VIEWS, startWorkbench, type Workbench } from './support/workbench';

describe('foundation: MedQA Studio as a user sees it in code-server', () => {
  let workbench: Workbench;

  before(async () => {
    workbench = await startWorkbench();
  });

  after(async () => {
    await workbench?.stop();
  });

  it('shows the MedQA Studio container with its three views and their welcome content', async () => {
    const { page } = workbench;
    await workbench.openMedqaContainer();
    const sidebar = page.locator('.sidebar');
    for (const view of MEDQA_VIEWS) {
      assert.ok(
        await sidebar
          .locator('.pane-header', { hasText: new RegExp(`^\\s*${view}`, 'i') })
          .first()
          .isVisible(),
      );
    }
    // Each empty view explains what to do next, with a button (from contributes.viewsWelcome).
    await sidebar.getByText('No QA pairs yet', { exact: false }).waitFor();
    await sidebar.getByRole('button', { name: 'Import Dataset…' }).first().waitFor();
    // The screenshot is for people reading the results; the assertions above are the test.
    await workbench.screenshot('foundation-medqa-container');
  });

  it('runs "MedQA: Show Log" from the command palette and shows the MedQA Studio output', async () => {
    const { page } = workbench;
    await workbench.runCommand('MedQA: Show Log');
    const panel = page.locator('.part.panel');
    await panel.getByText('MedQA Studio activated in', { exact: false }).first().waitFor();
    await workbench.screenshot('foundation-show-log');
  });
});
