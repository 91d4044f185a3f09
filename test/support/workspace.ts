// Tests open a throw-away copy of a workspace, never the repo's own demo/ (a test may write .medqa/ into it).
import { cpSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** What the repository ships inside the skipped state folders (demo/ opens on a real run). */
export const SHIPPED_STATE = ['.medqa/runs/smollm2-medquad-cpu-small'];

/**
 * Everything demo/ ships, as `./studio demo` opens it: the run, the imported, split and exported dataset, and the
 * first-start file that opens the run and the walkthrough. Other tests start from SHIPPED_STATE (no dataset state).
 */
export const DEMO_STATE = [
  ...SHIPPED_STATE,
  // The grounded (RAG) run of examples/medquad-smollm2-rag, with its evaluation against base + retrieval and
  // retrieval-only. Only the demo opens it: the other suites keep one run so their pickers stay unambiguous.
  '.medqa/runs/smollm2-medquad-rag',
  '.medqa/workspace.json',
  '.medqa/open-on-start.json',
  '.medqa/splits/split-42.json',
  '.medqa/exports/split-42-demo',
];

/**
 * A temp copy of a folder, without the state (.medqa/, runs/) that an earlier demo session left in it, but with
 * what the repository ships there (`keep`, paths relative to `source`).
 */
export function copyWorkspace(
  source: string,
  skip: readonly string[] = ['.medqa', 'runs'],
  keep: readonly string[] = SHIPPED_STATE,
): string {
  const target = path.join(mkdtempSync(path.join(os.tmpdir(), 'medqa-workspace-')), path.basename(source));
  const kept = (relative: string) =>
    keep.some((k) => relative === k || relative.startsWith(k + '/') || k.startsWith(relative + '/'));
  cpSync(source, target, {
    recursive: true,
    filter: (file) => {
      const relative = path.relative(source, file).split(path.sep).join('/');
      return kept(relative) || !skip.includes(relative.split('/')[0]);
    },
  });
  return target;
}
