// Integration tests in VS Code desktop (Electron), for contributors with internet access: @vscode/test-electron
// downloads a VS Code build the first time. CI and `./studio test` use code-server instead (test/integration/run.ts),
// because no VS Code download is reachable there. Same test index, same workspace, same settings.
// Usage: npm run build && npm run test:electron   (MEDQA_PYTHON: the trainer's Python; default .venv/bin/python)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { copyWorkspace } from './support/workspace';
import { repoRoot, sharedDir } from './support/paths';

async function main(): Promise<void> {
  const workspace = copyWorkspace(path.join(repoRoot, 'demo'));
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'medqa-electron-user-'));
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  const python = process.env.MEDQA_PYTHON ?? path.join(repoRoot, '.venv', 'bin', 'python');
  writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ 'medqa.pythonPath': python, 'security.workspace.trust.enabled': false }),
  );
  try {
    await runTests({
      version: process.env.MEDQA_VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(repoRoot, 'out', 'test', 'integration', 'index.js'),
      launchArgs: [
        workspace,
        '--user-data-dir',
        userDataDir,
        '--disable-extensions',
        '--disable-workspace-trust',
      ],
      extensionTestsEnv: { MEDQA_SHARED: sharedDir, MEDQA_PYTHON: python, HF_HUB_OFFLINE: '1' },
    });
  } finally {
    rmSync(path.dirname(workspace), { recursive: true, force: true });
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
