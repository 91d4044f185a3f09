// Tests open a throw-away copy of a workspace, never the repo's own demo/ (a test may write .medqa/ into it).
import { cpSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A temp copy of a folder, without the state (.medqa/, runs/) that an earlier demo session left in it. */
export function copyWorkspace(source: string, skip: readonly string[] = ['.medqa', 'runs']): string {
  const target = path.join(mkdtempSync(path.join(os.tmpdir(), 'medqa-workspace-')), path.basename(source));
  cpSync(source, target, {
    recursive: true,
    filter: (file) => !skip.some((name) => path.relative(source, file).split(path.sep)[0] === name),
  });
  return target;
}
