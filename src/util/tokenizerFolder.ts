/**
 * One loader of a Hugging Face tokenizer folder: tokenizer.json (through @huggingface/tokenizers),
 * tokenizer_config.json and the chat template (chat_template.jinja, else the config's `chat_template`). The
 * dataset's token counts (ChatTokenizer) and the Playground's prompts (ChatPrompt) both read a folder through it;
 * each says in its own words what a missing file means to its user. No vscode import.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';

export type TokenizerConfig = Record<string, unknown> & { chat_template?: unknown; eos_token?: unknown };

export interface TokenizerFolder {
  /** tokenizer.json, parsed. */
  readonly json: object;
  readonly config: TokenizerConfig;
  readonly tokenizer: Tokenizer;
  readonly configFile: string;
  readonly templateFile: string;
  /** chat_template.jinja, else the config's chat_template; undefined when the folder has neither. */
  readonly templateText: string | undefined;
}

/**
 * Reads the folder. tokenizer.json must exist; tokenizer_config.json too, unless `configOptional` (then a missing
 * one reads as `{}`).
 */
export async function readTokenizerFolder(
  dir: string,
  options: { configOptional?: boolean } = {},
): Promise<TokenizerFolder> {
  const json = JSON.parse(await fs.readFile(path.join(dir, 'tokenizer.json'), 'utf8')) as object;
  const configFile = path.join(dir, 'tokenizer_config.json');
  const config =
    options.configOptional && !existsSync(configFile)
      ? {}
      : (JSON.parse(await fs.readFile(configFile, 'utf8')) as TokenizerConfig);
  const templateFile = path.join(dir, 'chat_template.jinja');
  const templateText = await fs
    .readFile(templateFile, 'utf8')
    .catch(() => (typeof config.chat_template === 'string' ? config.chat_template : undefined));
  return { json, config, tokenizer: new Tokenizer(json, config), configFile, templateFile, templateText };
}
