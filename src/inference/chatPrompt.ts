/**
 * Prompt ids and streamed text for one export: the model's own chat template rendered with @huggingface/jinja and
 * encoded with @huggingface/tokenizers exactly as the trainer builds generation prompts
 * (`apply_chat_template(add_generation_prompt=True, enable_thinking=False)` then
 * `tokenizer(text, add_special_tokens=False)`; see trainer/medqa_trainer/generation.py). No vscode import.
 */
import { Template } from '@huggingface/jinja';
import type { Tokenizer } from '@huggingface/tokenizers';
import type { ChatMessage } from '../protocol/inferenceWorker';
import { readTokenizerFolder } from '../util/tokenizerFolder';
import { ExportError } from './exportReader';

/** `"<|im_end|>"` or `{"content": "<|im_end|>", …}` (both appear in tokenizer_config.json). */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'pad_token'] as const;

export class ChatPrompt {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly template: Template,
    private readonly specialTokens: Record<string, string>,
    private readonly readsThinkingSwitch: boolean,
  ) {}

  static async load(dir: string): Promise<ChatPrompt> {
    const { config, configFile, templateFile, templateText, tokenizer } = await readTokenizerFolder(dir);
    if (!templateText) {
      throw new ExportError(
        `the export has no chat template (neither ${templateFile} nor chat_template in ${configFile})`,
        configFile,
      );
    }
    const specialTokens: Record<string, string> = {};
    for (const key of SPECIAL_TOKEN_KEYS) {
      const text = tokenText(config[key]);
      if (text !== undefined) specialTokens[key] = text;
    }
    return new ChatPrompt(
      tokenizer,
      new Template(templateText),
      specialTokens,
      templateText.includes('enable_thinking'),
    );
  }

  /** The rendered prompt text. Like the trainer, `enable_thinking` is passed only to templates that read it. */
  render(messages: readonly ChatMessage[], enableThinking = false): string {
    return this.template.render({
      messages,
      add_generation_prompt: true,
      ...this.specialTokens,
      ...(this.readsThinkingSwitch ? { enable_thinking: enableThinking } : {}),
    });
  }

  /** Ids of `text` without added BOS/EOS, as `tokenizer(text, add_special_tokens=False)` gives. */
  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  promptIds(messages: readonly ChatMessage[], enableThinking = false): number[] {
    return this.encode(this.render(messages, enableThinking));
  }

  /** The answer text of generated ids, special tokens (the end-of-turn marker) left out. */
  decode(ids: readonly number[]): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: true });
  }

  /**
   * The token the template writes after an assistant turn (`<|im_end|>` for ChatML): the model says it when its
   * answer is done, so generation stops there even where config.json names another eos.
   */
  endOfTurnIds(): number[] {
    const marker = '\u{F0003}';
    const text = this.template.render({
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: marker },
      ],
      ...this.specialTokens,
    });
    const after = text.slice(text.lastIndexOf(marker) + marker.length);
    const ids = this.encode(after);
    return ids.length > 0 && this.isSpecial(ids[0]) ? [ids[0]] : [];
  }

  private isSpecial(id: number): boolean {
    return this.decode([id]) === '' && this.tokenizer.decode([id], { skip_special_tokens: false }) !== '';
  }
}

/**
 * Turns the growing list of generated ids into text deltas that never end inside a multi-byte character: a
 * byte-level token can hold half of an emoji, which decodes to U+FFFD until the next token completes it.
 */
export class TextStream {
  private emitted = '';

  constructor(private readonly prompt: ChatPrompt) {}

  /** The new text since the last call ('' while the tail is an incomplete character). */
  next(ids: readonly number[]): string {
    const text = this.prompt.decode(ids);
    if (text.endsWith('\uFFFD') || !text.startsWith(this.emitted)) return '';
    const delta = text.slice(this.emitted.length);
    this.emitted = text;
    return delta;
  }

  /** Whatever is left at the end (a trailing U+FFFD is then real output). */
  finish(ids: readonly number[]): { delta: string; text: string } {
    const text = this.prompt.decode(ids);
    const delta = text.startsWith(this.emitted) ? text.slice(this.emitted.length) : '';
    this.emitted = text;
    return { delta, text };
  }
}
