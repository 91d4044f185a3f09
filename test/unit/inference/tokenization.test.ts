import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { QaPair } from '../../../src/dataset/model';
import { ChatPrompt } from '../../../src/inference/chatPrompt';
import type { ChatMessage } from '../../../src/protocol/inferenceWorker';
import { requireShared } from '../../support/paths';
import { medquadSample, runPythonJson, sourceModel } from './testExports';

interface Reference {
  texts: number[][];
  prompts: number[][];
}

/** Index and first differing position, for a message that shows where two id lists part. */
function firstDifference(node: number[][], python: number[][]): string | undefined {
  for (let i = 0; i < python.length; i++) {
    const a = node[i];
    const b = python[i];
    if (a.length === b.length && a.every((id, k) => id === b[k])) continue;
    const at = a.findIndex((id, k) => id !== b[k]);
    return `#${i} differs at token ${at === -1 ? Math.min(a.length, b.length) : at} (node ${a.length} ids, python ${b.length})`;
  }
  return undefined;
}

describe('Node and Python tokenise 1,000 MedQuAD pairs the same way', function () {
  this.timeout(180_000);
  let pairs: QaPair[];
  let work: string;

  before(async () => {
    pairs = await medquadSample(1000);
    work = mkdtempSync(path.join(os.tmpdir(), 'medqa-tokenize-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const conversations = (): ChatMessage[][] =>
    pairs.map((pair, i) => [
      // Every tenth with a system prompt, as Export for Training writes when medqa.systemPrompt is set.
      ...(i % 10 === 0 ? [{ role: 'system' as const, content: 'You are a careful medical assistant.' }] : []),
      { role: 'user' as const, content: pair.question },
    ]);

  async function compare(tokenizerDir: string): Promise<void> {
    const prompt = await ChatPrompt.load(tokenizerDir);
    const texts = pairs.flatMap((pair) => [pair.question, pair.answer]);
    const requestFile = path.join(work, `${path.basename(tokenizerDir)}.json`);
    writeFileSync(
      requestFile,
      JSON.stringify({ tokenizer: tokenizerDir, texts, conversations: conversations() }),
    );
    const python = runPythonJson<Reference>('tokenize_reference.py', requestFile);
    assert.equal(python.texts.length, 2000);
    assert.equal(
      firstDifference(
        texts.map((text) => prompt.encode(text)),
        python.texts,
      ),
      undefined,
      'texts',
    );
    const nodePrompts = conversations().map((messages) => prompt.promptIds(messages));
    assert.equal(firstDifference(nodePrompts, python.prompts), undefined, 'chat prompts');
  }

  it('with the real Qwen3 tokenizer (../shared/models/qwen3-tokenizer): 2,000 texts and 1,000 chat prompts', async () => {
    await compare(requireShared('models/qwen3-tokenizer'));
  });

  it('with the SmolLM2-135M-Instruct tokenizer (the installed catalogue model)', async () => {
    await compare(sourceModel('smollm2'));
  });
});
