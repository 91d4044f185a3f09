// Runs inside the extension host (code-server's, or VS Code desktop's via test/runElectron.ts): VS Code loads this
// file as `extensionTestsPath` and calls run(). It runs every compiled out/test/integration/**/*.test.js with mocha
// and prints one machine-readable counts line that test/integration/run.ts reads from the page console.
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** The line prefix run.ts looks for; followed by JSON {passed, failed, skipped}. */
export const COUNTS_PREFIX = 'MEDQA_INTEGRATION_COUNTS';

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? testFiles(full) : name.endsWith('.test.js') ? [full] : [];
    });
}

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: Number(process.env.MEDQA_TEST_TIMEOUT_MS ?? 60_000),
    grep: process.env.MEDQA_TEST_GREP || undefined,
  });
  const files = testFiles(__dirname);
  for (const file of files) mocha.addFile(file);
  console.log(`[integration] ${files.length} test files under ${__dirname}`);
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const { passes = 0, pending = 0 } = runner.stats ?? {};
        console.log(
          `${COUNTS_PREFIX} ${JSON.stringify({ passed: passes, failed: failures, skipped: pending })}`,
        );
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
    } catch (error) {
      // A test file that throws while loading: report it as a failure, not as a silent empty run.
      console.error(error);
      console.log(`${COUNTS_PREFIX} ${JSON.stringify({ passed: 0, failed: 1, skipped: 0 })}`);
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
