import { randomInt } from 'node:crypto';
import * as path from 'node:path';
import type {
  PlaygroundDecoding,
  PlaygroundGrounding,
  PlaygroundPair,
  PlaygroundRequest,
  PlaygroundSide,
  PlaygroundState,
  PlaygroundTarget,
} from '../../protocol/playground';
import type { WebviewToHost } from '../../protocol/webviewMessages';
import type { ExtensionServices } from '../../vscode/services';
import { setting } from '../../vscode/settings';
import { WebviewPanelHost } from '../../vscode/webviewHost';
import { noGrounding, userTurn, type Ground, type GroundingMemory } from '../grounding';
import { parsePlaygroundMessage } from '../panelMessages';
import {
  applyEvent,
  idleColumn,
  type PlaygroundChatMessage,
  type PlaygroundGenerator,
} from '../playgroundColumns';
import { saveExchange } from '../playgroundRecord';
import { isWebUrl } from '../../retrieval/citations';
import type { PlaygroundTexts } from './answerTexts';
import { compareAnswers } from './playgroundCompare';
import { defaultDecoding, finishedAnswers, restoreMemory, SIDES, type Remembered } from './playgroundMemory';

const SHOWN_KEY = 'medqa.playground.shown';

/** What the panel needs from the rest of the extension. */
export interface PlaygroundDeps {
  /** Export folders for a checkpoint and why they cannot be used (missing, mismatched). */
  /** `target.precision`: the checkpoint export picked (int8/int4, null fp32; absent: fp32 where there is one). */
  resolveExports(target: NonNullable<Remembered['target']>): Promise<{
    exports: Record<PlaygroundSide, string | null>;
    labels?: Record<PlaygroundSide, string | null>;
    problems: string[];
  }>;
  engine(): PlaygroundGenerator;
  texts: PlaygroundTexts;
  pickPair(): Promise<{ question: string; pair: PlaygroundPair } | undefined>;
  pickCheckpoint(): Promise<void>;
  exportMissing(target: NonNullable<Remembered['target']>): Promise<unknown>;
  afterSave(dir: string, id: string): void;
  /** The index "Ground in dataset" uses (the all-pairs one preferred), or null when the workspace has none. */
  groundingIndex(): Promise<PlaygroundGrounding['index']>;
  /** The retrieve server's `rag: true` reply for a question; throws (saying what to do) when there is no index. */
  ground: Ground;
  buildIndex(): PromiseLike<unknown>;
  openExternal(url: string): PromiseLike<unknown>;
}

/**
 * The Playground: one question answered by the base model and the chosen checkpoint side by side, streamed from
 * their ONNX exports in the engine's worker. The host owns the state; the app renders it and sends requests.
 */
export class PlaygroundPanel extends WebviewPanelHost<'playground'> {
  private memory: Remembered;
  private problems: string[] = [];
  /** "ONNX", "ONNX int4": which export each side answers from. */
  private exportLabels: Record<PlaygroundSide, string | null> = { base: null, adapter: null };
  private running: { cancel(): void }[] = [];
  private saved: { dir: string; id: string } | null = null;
  private decodingUsed: PlaygroundDecoding | null = null;
  private readonly timers = new Map<PlaygroundSide, NodeJS.Timeout>();

  constructor(
    private readonly services: ExtensionServices,
    private readonly deps: PlaygroundDeps,
  ) {
    super(services.context, 'playground', 'MedQA Playground');
    this.memory = restoreMemory(services.context.workspaceState.get<Remembered>(SHOWN_KEY));
  }

  /** Opens the panel on a checkpoint (its exports looked up now). */
  async showCheckpoint(target: NonNullable<Remembered['target']>): Promise<PlaygroundState> {
    const same =
      this.memory.target?.checkpoint === target.checkpoint &&
      (this.memory.target.precision ?? null) === (target.precision ?? null);
    this.memory.target = target;
    if (!same) {
      this.stopAll();
      this.memory.columns = { base: idleColumn(), adapter: idleColumn() };
      this.saved = null;
    }
    await this.refreshExports();
    await this.remember();
    this.show();
    await this.pushState();
    return this.state();
  }

  get currentTarget(): Remembered['target'] {
    return this.memory.target;
  }

  /** Looks the exports up again (after an export was made or deleted). */
  async refreshExports(): Promise<void> {
    if (!this.memory.target) return;
    const found = await this.deps.resolveExports(this.memory.target);
    this.memory.exportDirs = found.exports;
    this.problems = found.problems;
    this.exportLabels = found.labels ?? { base: null, adapter: null };
    if (this.panel) await this.pushState();
  }

  protected override validate(message: unknown): WebviewToHost<'playground'> | Error {
    return parsePlaygroundMessage(message);
  }

  protected override rejected(error: Error): void {
    this.services.log.warn(error.message);
  }

  protected async state(): Promise<PlaygroundState> {
    const target = this.memory.target;
    const view: PlaygroundTarget | null = target
      ? {
          run: path.basename(target.runDir),
          checkpoint: path.basename(target.checkpoint),
          checkpointPath: target.checkpoint,
          model: target.model,
          exports: this.memory.exportDirs,
          exportLabels: this.exportLabels,
        }
      : null;
    return {
      target: view,
      problems: this.problems,
      question: this.memory.question,
      pair: this.memory.pair,
      decoding: this.memory.decoding ?? defaultDecoding(),
      columns: this.memory.columns,
      saved: this.saved,
      grounding: await this.groundingState(),
    };
  }

  private grounding(): GroundingMemory {
    return (this.memory.grounding ??= { enabled: false, sources: [], question: null, used: null });
  }

  private async groundingState(): Promise<PlaygroundGrounding> {
    const { enabled, sources, question } = this.grounding();
    return { ...noGrounding(enabled), index: await this.deps.groundingIndex(), sources, question };
  }

  protected async onMessage(message: PlaygroundRequest): Promise<void> {
    switch (message.type) {
      case 'ask':
        return this.ask(message.question, message.decoding);
      case 'stop':
        this.stopAll();
        return;
      case 'pickPair': {
        const picked = await this.deps.pickPair();
        if (!picked) return;
        this.memory.question = picked.question;
        this.memory.pair = picked.pair;
        await this.remember();
        return this.pushState();
      }
      case 'chooseCheckpoint':
        return this.deps.pickCheckpoint();
      case 'exportMissing':
        if (!this.memory.target) throw new Error('Choose a checkpoint first.');
        await this.deps.exportMissing(this.memory.target);
        return this.refreshExports();
      case 'compare':
        return compareAnswers(this.deps.texts, this.memory, message.kind);
      case 'save':
        await this.save();
        return;
      case 'setGrounding':
        this.grounding().enabled = message.enabled;
        await this.remember();
        return this.pushState();
      case 'buildIndex':
        await this.deps.buildIndex();
        return this.pushState();
      case 'openSource':
        // Only the link of a source on show, and only a web link: the webview is untrusted.
        if (!isWebUrl(message.url) || !this.grounding().sources.some((s) => s.url === message.url))
          throw new Error(`Not a source link shown in the Playground: ${message.url}`);
        await this.deps.openExternal(message.url);
        return;
    }
  }

  /** Entry point for tests and commands: the same path the webview's messages take. */
  async request(message: PlaygroundRequest): Promise<PlaygroundState> {
    const parsed = parsePlaygroundMessage(message);
    if (parsed instanceof Error) throw parsed;
    await this.onMessage(message);
    return this.state();
  }

  private async ask(question: string, decoding: PlaygroundDecoding): Promise<void> {
    // Loading a model file of the workspace into onnxruntime is running its content: not in an untrusted folder.
    if (!this.services.requireTrust('Answering in the playground')) return;
    const target = this.memory.target;
    if (!target) throw new Error('Choose a checkpoint first ("Choose checkpoint…").');
    if (this.memory.question.trim() !== question.trim()) this.memory.pair = null;
    this.memory.question = question;
    this.memory.decoding = decoding;
    await this.refreshExports();
    const missing = SIDES.filter((side) => !this.memory.exportDirs[side]);
    if (missing.length > 0) {
      await this.pushState();
      throw new Error(
        `No usable ONNX export of the ${missing.map((s) => (s === 'base' ? 'base model' : 'checkpoint')).join(' or ')}: ${this.problems.join(' ') || 'export it first.'}`,
      );
    }
    this.stopAll();
    this.saved = null;
    // One seed for both sides and the saved exchange, so an answer can be reproduced from its record.
    const seed = decoding.seed ?? randomInt(0, 2 ** 31 - 1);
    this.decodingUsed = { ...decoding, seed };
    const messages: PlaygroundChatMessage[] = [];
    const system = setting('systemPrompt');
    if (system) messages.push({ role: 'system', content: system });
    this.memory.columns = { base: idleColumn(), adapter: idleColumn() };
    // Both exports come from one base model: the fine-tuned one's tokenizer cuts the sources for both.
    const tokenizerDir = this.memory.exportDirs.adapter ?? this.memory.exportDirs.base ?? '';
    messages.push({
      role: 'user',
      content: await userTurn(this.grounding(), question, this.deps.ground, tokenizerDir),
    });
    const engine = this.deps.engine();
    // Both wait from the start: the engine answers one after the other.
    this.memory.columns = {
      base: { ...idleColumn(), status: 'loading' },
      adapter: { ...idleColumn(), status: 'loading' },
    };
    await this.pushState();
    const runs = SIDES.map((side) => {
      const handle = engine.generate(
        this.memory.exportDirs[side] as string,
        messages,
        {
          maxNewTokens: decoding.maxNewTokens,
          temperature: decoding.temperature,
          topP: decoding.topP,
          seed,
          enableThinking: false,
        },
        (event) => {
          this.memory.columns[side] = applyEvent(this.memory.columns[side], event);
          this.postColumn(side, event.kind === 'token');
        },
      );
      return { side, handle };
    });
    this.running = runs.map((r) => r.handle);
    await Promise.all(
      runs.map(async ({ side, handle }) => {
        try {
          await handle.done;
        } catch (error) {
          const column = this.memory.columns[side];
          if (column.status !== 'error')
            this.memory.columns[side] = applyEvent(column, {
              kind: 'error',
              message: error instanceof Error ? error.message : String(error),
            });
          this.postColumn(side, false);
        }
      }),
    );
    this.running = [];
    await this.remember();
    await this.pushState();
  }

  /** Streams a column to the app; token updates at most every 50 ms per side, other changes at once. */
  private postColumn(side: PlaygroundSide, throttled: boolean): void {
    const send = () => {
      this.timers.delete(side);
      void this.post({ type: 'column', side, column: this.memory.columns[side] });
    };
    if (!throttled) {
      clearTimeout(this.timers.get(side));
      send();
    } else if (!this.timers.has(side)) {
      this.timers.set(side, setTimeout(send, 50));
    }
  }

  private stopAll(): void {
    for (const handle of this.running) handle.cancel();
  }

  async save(): Promise<{ dir: string; id: string }> {
    const target = this.memory.target;
    const root = this.services.workspaceRoot();
    if (!target || !root) throw new Error('Choose a checkpoint in a workspace folder first.');
    const answers = finishedAnswers(this.memory);
    const { used, sources } = this.grounding();
    const saved = await saveExchange(root, {
      question: this.memory.question,
      pair: this.memory.pair,
      decoding: this.decodingUsed ?? this.memory.decoding ?? defaultDecoding(),
      answers,
      runDir: target.runDir,
      checkpoint: target.checkpoint,
      model: target.model,
      at: new Date(),
      grounding: used ? { ...used, sources } : null,
    });
    this.saved = saved;
    await this.pushState();
    this.deps.afterSave(saved.dir, saved.id);
    return saved;
  }

  private async remember(): Promise<void> {
    await this.services.context.workspaceState.update(SHOWN_KEY, this.memory);
  }

  override dispose(): void {
    this.stopAll();
    this.timers.forEach((t) => clearTimeout(t));
    super.dispose();
  }
}
