/**
 * Where token statistics find a tokenizer: the `medqa.tokenizerPath` setting (absolute, or relative to the
 * workspace), else `../shared/models/qwen3-tokenizer` or `models/qwen3-tokenizer` next to the workspace. Pure Node.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const DEFAULT_TOKENIZER_FOLDERS = ['../shared/models/qwen3-tokenizer', 'models/qwen3-tokenizer'];

export function resolveTokenizer(
  setting: string,
  workspaceDir: string,
): { dir: string } | { missing: string } {
  const configured = setting.trim();
  if (configured) {
    const dir = path.resolve(workspaceDir, configured);
    if (existsSync(path.join(dir, 'tokenizer.json'))) return { dir };
    return {
      missing: `The tokenizer folder in the setting medqa.tokenizerPath (${dir}) has no tokenizer.json. Choose a folder that has one.`,
    };
  }
  for (const candidate of DEFAULT_TOKENIZER_FOLDERS) {
    const dir = path.resolve(workspaceDir, candidate);
    if (existsSync(path.join(dir, 'tokenizer.json'))) return { dir };
  }
  return {
    missing:
      'No tokenizer found, so token lengths cannot be counted. Set medqa.tokenizerPath to a folder with tokenizer.json ' +
      `(looked for ${DEFAULT_TOKENIZER_FOLDERS.join(' and ')} next to the workspace).`,
  };
}
