import * as path from 'node:path';
import type { PlaygroundTexts } from './answerTexts';
import type { Remembered } from './playgroundMemory';

/** Opens a diff of the two answers, or of the reference answer of the picked pair and the checkpoint's answer. */
export async function compareAnswers(
  texts: PlaygroundTexts,
  memory: Remembered,
  kind: 'answers' | 'reference',
): Promise<void> {
  const { base, adapter } = memory.columns;
  const checkpoint = memory.target ? path.basename(memory.target.checkpoint) : 'adapter';
  if (kind === 'answers') {
    if (!base.text && !adapter.text)
      throw new Error('Ask a question first: there are no answers to compare.');
    await texts.diff(
      { label: 'Base model answer', text: base.text },
      { label: `${checkpoint} answer`, text: adapter.text },
      `Playground: Base model ↔ ${checkpoint}`,
    );
    return;
  }
  const pair = memory.pair;
  if (!pair) throw new Error('Pick a QA pair first ("Pick a QA pair"): the reference answer comes from it.');
  if (!adapter.text) throw new Error('Ask the question first: the checkpoint has not answered yet.');
  await texts.diff(
    { label: `Reference ${pair.id}`, text: pair.reference },
    { label: `${checkpoint} answer`, text: adapter.text },
    `Playground: Reference ↔ ${checkpoint}`,
  );
}
