import * as vscode from 'vscode';
import type { EvaluationEngine, EvaluationSettings } from '../evaluationFolder';
import { batchSizeForEngine, parseWholeNumber, settingsProblem } from '../launcher';
import { DEFAULT_RAG_K } from '../retrievalSide';

/** Measured by bench/onnx_evaluation.py on SmolLM2-135M, 2 cores, 200 answers (README, Evaluation speed). */
const ONNX_SPEEDUP = '3.4x faster than PyTorch on 2 idle cores (SmolLM2-135M), more on busy ones';

/** The settings list of "Evaluate Checkpoint" (quick picks and input boxes). */
async function askNumber(
  prompt: string,
  value: number | null,
  allowEmpty: boolean,
): Promise<number | null | undefined> {
  const text = await vscode.window.showInputBox({
    prompt,
    value: value === null ? '' : String(value),
    validateInput: (input) =>
      parseWholeNumber(input, allowEmpty) === undefined
        ? `Enter a whole number of at least 1${allowEmpty ? ', or leave it empty' : ''}.`
        : undefined,
  });
  return text === undefined ? undefined : parseWholeNumber(text, allowEmpty);
}

async function askPenalty(settings: EvaluationSettings): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    prompt: 'Repetition penalty (1 = off; 1.1 to 1.2 stops small models from looping)',
    value: String(settings.repetitionPenalty ?? 1),
    validateInput: (input) => settingsProblem({ repetitionPenalty: Number(input) }),
  });
  return text === undefined ? settings.repetitionPenalty : Number(text);
}

async function askRagK(): Promise<EvaluationSettings['rag']> {
  const k = await askNumber('Retrieved sources per question (k, 1 to 20)', DEFAULT_RAG_K, false);
  return k === undefined || k === null ? null : { k: Math.min(k, 20) };
}

/** The engines and their trade-off, as the settings list names them (speed measured by bench/onnx_evaluation.py). */
export const ENGINES: Record<EvaluationEngine, { label: string; description: string; detail: string }> = {
  torch: {
    label: 'PyTorch',
    description: 'the reference: the checkpoint as trained, any setting; the slowest on a CPU',
    detail: 'Loads the base model and the adapter in PyTorch and generates with transformers.',
  },
  onnx: {
    label: 'ONNX Runtime',
    description: `${ONNX_SPEEDUP}; the same greedy answers (fp32 exports)`,
    detail:
      'Generates on the fp32 ONNX exports the Playground uses, exported first where missing (about a minute ' +
      'each), 32 answers at a time by default. PyTorch answers the first 8 too, and the evaluation records ' +
      'how many were identical.',
  },
};

async function askEngine(current: EvaluationEngine): Promise<EvaluationEngine> {
  const items = (Object.keys(ENGINES) as EvaluationEngine[]).map((engine) => ({
    engine,
    ...ENGINES[engine],
    picked: engine === current,
  }));
  const picked = await vscode.window.showQuickPick(items, { title: 'Generate the answers with' });
  return picked?.engine ?? current;
}

type Item = vscode.QuickPickItem & { key: keyof EvaluationSettings | 'start' };

function settingItems(settings: EvaluationSettings, examples: number | undefined, canRag: boolean): Item[] {
  return [
    {
      key: 'start',
      label: '$(play) Start evaluation',
      description: settings.evaluateBase ? 'adapter, then base model, then compare' : 'adapter only',
    },
    {
      key: 'maxNewTokens',
      label: `Max new tokens: ${settings.maxNewTokens}`,
      description: 'longest answer each model may write',
    },
    {
      key: 'batchSize',
      label: `Batch size: ${settings.batchSize}`,
      description: 'questions answered together; lower it if memory runs out',
    },
    {
      key: 'limit',
      label: `Limit: ${settings.limit === null ? `all${examples !== undefined ? ` ${examples}` : ''} examples` : `a sample of ${settings.limit} examples`}`,
      description: "a quick look before a full run (seeded, keeps each question type's share)",
    },
    {
      key: 'repetitionPenalty',
      label: `Repetition penalty: ${settings.repetitionPenalty === 1 ? 'off' : settings.repetitionPenalty}`,
      description: 'above 1 keeps small models from looping on a phrase (1.15 for cpu-small runs)',
    },
    {
      key: 'evaluateBase',
      label: `${settings.evaluateBase ? '$(pass-filled)' : '$(circle-large-outline)'} Also evaluate the base model`,
      description: 'needed for the base vs fine-tuned comparison',
    },
    {
      key: 'rag',
      label: `${settings.rag ? '$(pass-filled)' : '$(circle-large-outline)'} With retrieved sources (RAG, k=${settings.rag?.k ?? DEFAULT_RAG_K})`,
      description: canRag
        ? 'both models answer with the top-k training answers in their prompt (a separate "RAG" evaluation)'
        : 'needs the training data of this run (an export with train.jsonl)',
    },
    {
      key: 'engine',
      label: `Engine: ${ENGINES[settings.engine ?? 'torch'].label}`,
      description: ENGINES[settings.engine ?? 'torch'].description,
    },
  ];
}

/** One list of the settings: pick a line to change it, "Start" to go. Escape cancels. */
export async function pickSettings(
  initial: EvaluationSettings,
  examples: number | undefined,
  canRag: boolean,
): Promise<EvaluationSettings | undefined> {
  const settings = { ...initial };
  for (;;) {
    const items = settingItems(settings, examples, canRag);
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Evaluation settings',
      placeHolder: 'Choose a setting to change, or start',
    });
    if (!picked) return undefined;
    if (picked.key === 'start') return settings;
    if (picked.key === 'evaluateBase') settings.evaluateBase = !settings.evaluateBase;
    else if (picked.key === 'engine') {
      const from = settings.engine ?? 'torch';
      settings.engine = await askEngine(from);
      settings.batchSize = batchSizeForEngine(settings.batchSize, from, settings.engine);
    } else if (picked.key === 'rag') {
      if (!canRag) {
        void vscode.window.showWarningMessage(
          'MedQA: no training data is known for this run (its config has no train_file and the test file has no train.jsonl beside it), so there is nothing to retrieve from.',
        );
        continue;
      }
      settings.rag = settings.rag ? null : await askRagK();
    } else if (picked.key === 'maxNewTokens')
      settings.maxNewTokens =
        (await askNumber('Max new tokens per answer', settings.maxNewTokens, false)) ?? settings.maxNewTokens;
    else if (picked.key === 'batchSize')
      settings.batchSize = (await askNumber('Batch size', settings.batchSize, false)) ?? settings.batchSize;
    else if (picked.key === 'repetitionPenalty') settings.repetitionPenalty = await askPenalty(settings);
    else {
      const limit = await askNumber(
        "Evaluate a seeded sample of K test examples, keeping each question type's share (empty: all)",
        settings.limit,
        true,
      );
      if (limit !== undefined) settings.limit = limit;
    }
  }
}
