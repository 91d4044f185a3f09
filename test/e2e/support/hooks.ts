// Mocha root hooks for the e2e suite (loaded with --require from test/e2e/.mocharc.json).
import type { Context } from 'mocha';
import { activeWorkbenches, stopAll } from './workbench';

export const mochaHooks = {
  /** A failed test leaves a picture of every workbench it had open, as a test artifact. */
  async afterEach(this: Context) {
    const test = this.currentTest;
    if (test?.state !== 'failed') return;
    for (const [index, workbench] of activeWorkbenches().entries()) {
      const file = await workbench
        .screenshot(`failure-${test.fullTitle()}${index ? `-${index}` : ''}`)
        .catch(() => undefined);
      if (file) console.log(`    screenshot of the failure: ${file}`);
    }
  },
  async afterAll() {
    await stopAll();
  },
};
