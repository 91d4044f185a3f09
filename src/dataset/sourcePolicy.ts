import { realpathSync } from 'node:fs';
import * as path from 'node:path';

function real(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/** Is `target` the folder itself or inside it, after following links (a link in the folder to `/` is outside)? */
export function isInside(folder: string, target: string): boolean {
  const relative = path.relative(real(folder), real(target));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Which dataset sources may be read: any once the workspace is trusted; otherwise those inside the workspace
 * folder and those the user picked in this window (a file in the workspace must not make us read the disk).
 */
export function sourcePolicy(options: {
  workspaceDir: string;
  isTrusted: () => boolean;
  picked: ReadonlySet<string>;
}): (source: string) => string | undefined {
  return (source) => {
    if (options.isTrusted() || options.picked.has(path.resolve(source))) return undefined;
    if (options.workspaceDir && isInside(options.workspaceDir, source)) return undefined;
    return (
      `${source} is outside this workspace, which is not trusted: it is not read. Trust the workspace, or import ` +
      'it again with "MedQA: Import Dataset…" to read it in this window.'
    );
  };
}
