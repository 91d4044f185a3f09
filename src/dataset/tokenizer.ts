/**
 * The real tokenizer (tokenizer.json through @huggingface/tokenizers) plus the model's chat template (through
 * @huggingface/jinja), rendered the way the trainer renders training text (enable_thinking=False).
 *
 * Counting speed: the library re-runs byte-level mapping and BPE for every word and its LRU cache churns, which made
 * MedQuAD's answers take ~11 s. For the common byte-level BPE shape (Qwen, GPT-2 family) `count()` splits special
 * tokens, normalises and pre-tokenises with the tokenizer.json's own rules and memoises the BPE result of each piece
 * (BPE is a pure function of the piece). Any other tokenizer shape uses the library end to end. Unit tests and the
 * benchmark check that both paths give identical counts.
 */
import { Template } from '@huggingface/jinja';
import type { Tokenizer } from '@huggingface/tokenizers';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { readTokenizerFolder } from '../util/tokenizerFolder';

import type { ChatMessage } from '../protocol/chat';

export type { ChatMessage };

interface TokenizerJson {
  normalizer?: { type: string } | null;
  pre_tokenizer?: {
    type: string;
    pretokenizers?: {
      type: string;
      pattern?: { Regex?: string };
      behavior?: string;
      invert?: boolean;
      use_regex?: boolean;
    }[];
  } | null;
  model?: {
    type: string;
    dropout?: number | null;
    byte_fallback?: boolean;
    continuing_subword_prefix?: string;
    end_of_word_suffix?: string;
  };
  added_tokens?: {
    id: number;
    content: string;
    lstrip: boolean;
    rstrip: boolean;
    single_word: boolean;
    normalized: boolean;
  }[];
}

/** The GPT-2 byte ↔ printable-character table used by byte-level BPE. */
function byteLevelAlphabet(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(printable.includes(b) ? b : 256 + extra++);
  }
  return table;
}

/** Rust-regex → JS: expand `(?i:…)` groups letter by letter and use Unicode White_Space for \s like Rust does. */
export function toJsRegex(pattern: string): RegExp {
  let source = pattern.replace(
    /\(\?i:((?:[^()\\]|\\.)*)\)/g,
    (_, body: string) =>
      '(?:' + body.replace(/[a-zA-Z]/g, (ch) => `[${ch.toLowerCase()}${ch.toUpperCase()}]`) + ')',
  );
  source = source.replace(/\\s/g, '\\p{White_Space}').replace(/\\S/g, '\\P{White_Space}');
  return new RegExp(source, 'gu');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

class FastByteLevelBpe {
  private readonly memo = new Map<string, number>();
  private readonly alphabet = byteLevelAlphabet();
  private readonly encoder = new TextEncoder();
  private readonly special: RegExp | undefined;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly split: RegExp,
    addedTokens: readonly string[],
    private readonly nfc: boolean,
  ) {
    const sorted = [...addedTokens].sort((a, b) => b.length - a.length).map(escapeRegex);
    this.special = sorted.length ? new RegExp(sorted.join('|'), 'g') : undefined;
  }

  count(text: string): number {
    if (!this.special) return this.countPlain(text);
    let total = 0;
    let last = 0;
    this.special.lastIndex = 0;
    for (let match = this.special.exec(text); match; match = this.special.exec(text)) {
      if (match.index > last) total += this.countPlain(text.slice(last, match.index));
      total += 1;
      last = match.index + match[0].length;
    }
    if (last < text.length) total += this.countPlain(text.slice(last));
    return total;
  }

  private countPlain(text: string): number {
    const normalized = this.nfc ? text.normalize('NFC') : text;
    const pieces = normalized.match(this.split);
    if (!pieces) return 0;
    let total = 0;
    for (const piece of pieces) {
      let count = this.memo.get(piece);
      if (count === undefined) {
        count = this.bpe(piece);
        if (this.memo.size < 1_000_000) this.memo.set(piece, count);
      }
      total += count;
    }
    return total;
  }

  private bpe(piece: string): number {
    let mapped = '';
    for (const byte of this.encoder.encode(piece)) mapped += this.alphabet[byte];
    return this.tokenizer.model!.encode([mapped]).length;
  }
}

/** Builds the fast path only when the tokenizer is exactly the byte-level BPE shape it reproduces. */
function fastPath(tokenizer: Tokenizer, json: TokenizerJson): FastByteLevelBpe | undefined {
  const normalizer = json.normalizer;
  if (normalizer && normalizer.type !== 'NFC') return undefined;
  const model = json.model;
  if (!model || model.type !== 'BPE' || model.dropout || model.byte_fallback) return undefined;
  if (model.continuing_subword_prefix || model.end_of_word_suffix) return undefined;
  const steps = json.pre_tokenizer?.type === 'Sequence' ? (json.pre_tokenizer.pretokenizers ?? []) : [];
  const [split, byteLevel] = steps;
  if (steps.length !== 2 || split.type !== 'Split' || !split.pattern?.Regex) return undefined;
  if (
    split.behavior !== 'Isolated' ||
    split.invert ||
    byteLevel.type !== 'ByteLevel' ||
    byteLevel.use_regex
  ) {
    return undefined;
  }
  const added = json.added_tokens ?? [];
  if (added.some((token) => token.lstrip || token.rstrip || token.single_word || token.normalized))
    return undefined;
  return new FastByteLevelBpe(
    tokenizer,
    toJsRegex(split.pattern.Regex),
    added.map((token) => token.content),
    normalizer?.type === 'NFC',
  );
}

/** The chat template cannot render this conversation as a training example. */
export class ChatTemplateError extends Error {}

const SYSTEM = '\u{F0000}system\u{F0000}';
const QUESTION = '\u{F0001}question\u{F0001}';
const ANSWER = '\u{F0002}answer\u{F0002}';

export function exampleMessages(question: string, answer: string, systemPrompt?: string): ChatMessage[] {
  return [
    ...(systemPrompt !== undefined ? [{ role: 'system' as const, content: systemPrompt }] : []),
    { role: 'user', content: question },
    { role: 'assistant', content: answer },
  ];
}

export class ChatTokenizer {
  private readonly shapes = new Map<string, { text: string; promptLength: number }>();
  private readonly fast: FastByteLevelBpe | undefined;
  private readonly template: Template;

  private constructor(
    readonly dir: string,
    readonly tokenizer: Tokenizer,
    json: TokenizerJson,
    templateText: string,
    readonly eosToken: string,
  ) {
    this.fast = fastPath(tokenizer, json);
    this.template = new Template(templateText);
  }

  /** Loads `<dir>/tokenizer.json`, `tokenizer_config.json` and the chat template (chat_template.jinja or the config). */
  static async load(dir: string): Promise<ChatTokenizer> {
    if (!existsSync(path.join(dir, 'tokenizer.json'))) {
      throw new Error(
        `No tokenizer.json in ${dir}; point --tokenizer (or medqa.tokenizerPath) at a tokenizer folder.`,
      );
    }
    const { json, config, tokenizer, templateText } = await readTokenizerFolder(dir, {
      configOptional: true,
    });
    if (!templateText)
      throw new Error(`${dir} has no chat template (chat_template.jinja or tokenizer_config.json).`);
    const eos = typeof config.eos_token === 'string' ? config.eos_token : '<|im_end|>';
    return new ChatTokenizer(dir, tokenizer, json as TokenizerJson, templateText, eos);
  }

  /** True when counts use the memoised byte-level path (identical results, faster). */
  get usesFastPath(): boolean {
    return this.fast !== undefined;
  }

  /** Token count of `text` without added BOS/EOS, as `tokenizer(text, add_special_tokens=False)` gives. */
  count(text: string): number {
    return this.fast ? this.fast.count(text) : this.countWithLibrary(text);
  }

  countWithLibrary(text: string): number {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids.length;
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** The prompt the model sees before answering (add_generation_prompt, enable_thinking=false). */
  renderPrompt(messages: readonly ChatMessage[]): string {
    return this.template.render({
      messages,
      add_generation_prompt: true,
      enable_thinking: false,
      eos_token: this.eosToken,
    });
  }

  /**
   * Training text of one (system?, user, assistant) example. Rendering the Jinja template costs ~0.3 ms, so the
   * template is rendered once with placeholder contents and the real texts are spliced in; contents the template
   * would treat specially (think tags, tool responses, leading newlines) take the full render.
   */
  renderExample(
    question: string,
    answer: string,
    systemPrompt?: string,
  ): { text: string; promptLength: number } {
    const special = /<\/?think>|<tool_response>|^\n|[\u{F0000}-\u{F0002}]/u;
    if (
      special.test(question) ||
      special.test(answer) ||
      (systemPrompt !== undefined && special.test(systemPrompt))
    ) {
      return this.renderTraining(exampleMessages(question, answer, systemPrompt));
    }
    const key = systemPrompt === undefined ? 'plain' : 'system';
    let shape = this.shapes.get(key);
    if (!shape) {
      const rendered = this.renderTraining(
        exampleMessages(QUESTION, ANSWER, systemPrompt === undefined ? undefined : SYSTEM),
      );
      shape = { text: rendered.text, promptLength: rendered.promptLength };
      this.shapes.set(key, shape);
    }
    const prompt = shape.text.slice(0, shape.promptLength);
    const rest = shape.text.slice(shape.promptLength);
    const fill = (text: string): string =>
      text
        .split(SYSTEM)
        .join(systemPrompt ?? '')
        .split(QUESTION)
        .join(question)
        .split(ANSWER)
        .join(answer);
    const filledPrompt = fill(prompt);
    return { text: filledPrompt + fill(rest), promptLength: filledPrompt.length };
  }

  /** The training text: the whole conversation up to and including the answer's closing eos token. */
  renderTraining(messages: readonly ChatMessage[]): { text: string; promptLength: number } {
    const prompt = this.renderPrompt(messages.slice(0, -1));
    const full = this.template.render({ messages, enable_thinking: false, eos_token: this.eosToken });
    if (!full.startsWith(prompt)) {
      throw new ChatTemplateError(
        'The chat template renders the prompt differently for training and generation (a think block in the answer, or not a Qwen-style template).',
      );
    }
    const cut = full.lastIndexOf(this.eosToken);
    if (cut < prompt.length)
      throw new ChatTemplateError('The chat template does not close the answer with the eos token.');
    return { text: full.slice(0, cut + this.eosToken.length), promptLength: prompt.length };
  }
}
