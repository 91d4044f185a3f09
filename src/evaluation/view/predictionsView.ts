import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvaluationSide } from '../../protocol/metricsPanel';
import type { ExtensionServices } from '../../vscode/services';
import { readPredictions, type PredictionRow } from '../predictionsFile';
import { sideDir } from '../evaluationFolder';
import { RETRIEVAL_SIDE_DIR } from '../retrievalSide';
import { formatMetric, hygieneLabel, metricLabel, orderMetrics } from '../format';

export const PREDICTION_SCHEME = 'medqa-prediction';
const SIDE_TEXT: Record<EvaluationSide, string> = { adapter: 'Fine-tuned', base: 'Base model' };
const SHOWN_PROBLEMS = 8;

/** What "Open Predictions" returns (for tests and callers): the file, the rows read, the problems found. */
export interface PredictionsResult {
  file: string;
  rows: number;
  problems: string[];
  /** The read-only document opened for one prediction, when one was. */
  document?: string;
}

function scoresText(row: PredictionRow): string {
  return orderMetrics(Object.keys(row.scores))
    .map((m) => `${metricLabel(m)} ${formatMetric(m, row.scores[m])}`)
    .join(' · ');
}

/** The Markdown shown for one prediction: question, reference, this side's answer and the other side's, if any. */
export async function predictionMarkdown(
  evaluationDir: string,
  side: EvaluationSide,
  id: string,
): Promise<string> {
  const sides: EvaluationSide[] = side === 'adapter' ? ['adapter', 'base'] : ['base', 'adapter'];
  const found: { side: EvaluationSide; row: PredictionRow }[] = [];
  for (const s of sides) {
    const file = path.join(sideDir(evaluationDir, s), 'predictions.jsonl');
    if (!existsSync(file)) continue;
    const row = (await readPredictions(file)).value.find((r) => r.id === id);
    if (row) found.push({ side: s, row });
  }
  const first = found[0]?.row;
  if (!first) return `# ${id}\n\nThis id is not in the predictions of ${evaluationDir}.\n`;
  // Answers are model output: fence them so Markdown in them is shown, not rendered.
  const fence = (text: string) => {
    let longest = 2;
    for (const run of text.matchAll(/`+/g)) longest = Math.max(longest, run[0].length);
    const ticks = '`'.repeat(longest + 1);
    return `${ticks}text\n${text}\n${ticks}`;
  };
  const lines = [
    `# ${id}`,
    '',
    `Question type: ${first.qtype}`,
    '',
    '## Question',
    '',
    fence(first.question ?? '(not recorded)'),
    '',
    '## Reference answer',
    '',
    fence(first.reference),
  ];
  for (const { side: s, row } of found) {
    lines.push('', `## ${SIDE_TEXT[s]} answer`, '');
    const facts = [
      scoresText(row),
      row.hygiene.length > 0 ? `flags: ${row.hygiene.map(hygieneLabel).join(', ')}` : '',
    ].filter(Boolean);
    if (facts.length > 0) lines.push(facts.join('  \n'), '');
    lines.push(fence(row.prediction || '(empty answer)'));
  }
  // The retrieval-only baseline answered the same question with the nearest training answer: what to beat.
  const retrievalFile = path.join(evaluationDir, RETRIEVAL_SIDE_DIR, 'predictions.jsonl');
  const retrieved = existsSync(retrievalFile)
    ? (await readPredictions(retrievalFile)).value.find((r) => r.id === id)
    : undefined;
  if (retrieved) {
    lines.push('', '## Retrieval-only answer (the best-matching training pair, no model)', '');
    const scores = scoresText(retrieved);
    if (scores) lines.push(scores, '');
    lines.push(fence(retrieved.prediction || '(nothing retrieved)'));
  }
  return lines.join('\n') + '\n';
}

/** Read-only documents for single predictions: `medqa-prediction:/<id>.md?<json {dir, side, id}>`. */
export class PredictionDocuments implements vscode.TextDocumentContentProvider {
  provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const { dir, side, id } = JSON.parse(uri.query) as { dir: string; side: EvaluationSide; id: string };
    return predictionMarkdown(dir, side, id);
  }

  static uri(dir: string, side: EvaluationSide, id: string): vscode.Uri {
    const name = id.replace(/[^\w.-]+/g, '_').slice(-80) || 'prediction';
    return vscode.Uri.from({
      scheme: PREDICTION_SCHEME,
      path: `/${SIDE_TEXT[side]} ${name}.md`,
      query: JSON.stringify({ dir, side, id }),
    });
  }
}

/** Bad lines are reported with their line numbers; the good rows stay usable. */
function reportProblems(services: ExtensionServices, file: string, problems: string[]): void {
  if (problems.length === 0) return;
  problems.forEach((p) => services.log.warn(p));
  const shown = problems.slice(0, SHOWN_PROBLEMS).map((p) => p.replace(`${file}:`, 'line '));
  const more =
    problems.length > SHOWN_PROBLEMS ? ` … and ${problems.length - SHOWN_PROBLEMS} more (see the log)` : '';
  void vscode.window
    .showErrorMessage(
      `MedQA: ${problems.length} problem(s) in ${file}: ${shown.join('; ')}${more}. The other rows are shown.`,
      'Open File',
      'Show Log',
    )
    .then((choice) => {
      if (choice === 'Open File') void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
      if (choice === 'Show Log') services.log.show();
    });
}

async function pickSide(evaluationDir: string): Promise<EvaluationSide | undefined> {
  const available = (['adapter', 'base'] as const).filter((s) =>
    existsSync(path.join(sideDir(evaluationDir, s), 'predictions.jsonl')),
  );
  if (available.length === 0) throw new Error(`${evaluationDir} has no predictions yet.`);
  if (available.length === 1) return available[0];
  const picked = await vscode.window.showQuickPick(
    available.map((side) => ({
      label: SIDE_TEXT[side],
      description: side === 'adapter' ? 'base + adapter' : 'without the adapter',
      side,
    })),
    { title: 'Whose answers?' },
  );
  return picked?.side;
}

/**
 * "Open Predictions": a list of the answers (id · question · F1) that opens one as a read-only document,
 * or the raw predictions.jsonl. With `id` given, that prediction opens directly.
 */
export async function openPredictions(
  services: ExtensionServices,
  evaluationDir: string,
  side: EvaluationSide | undefined,
  id?: string,
): Promise<PredictionsResult | undefined> {
  const chosen = side ?? (await pickSide(evaluationDir));
  if (!chosen) return undefined;
  const file = path.join(sideDir(evaluationDir, chosen), 'predictions.jsonl');
  const { value: rows, problems } = await readPredictions(file);
  reportProblems(services, file, problems);
  const open = async (rowId: string) => {
    const uri = PredictionDocuments.uri(evaluationDir, chosen, rowId);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
    return uri.toString();
  };
  if (id !== undefined) {
    if (!rows.some((r) => r.id === id)) throw new Error(`No prediction with id ${id} in ${file}.`);
    return { file, rows: rows.length, problems, document: await open(id) };
  }
  type Item = vscode.QuickPickItem & { id?: string; raw?: boolean };
  const items: Item[] = [
    {
      label: '$(go-to-file) Open predictions.jsonl',
      description: `${rows.length} rows`,
      raw: true,
      alwaysShow: true,
    },
    ...rows.map((row) => ({
      label: row.id,
      description: [`F1 ${formatMetric('f1', row.scores.f1)}`, ...row.hygiene.map(hygieneLabel)].join(' · '),
      detail: `${row.question ?? ''} → ${row.prediction.slice(0, 160) || '(empty answer)'}`,
      id: row.id,
    })),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: `${SIDE_TEXT[chosen]} answers · ${path.basename(evaluationDir)}`,
    placeHolder: 'Type to filter by id, question or answer',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked) return { file, rows: rows.length, problems };
  if (picked.raw) {
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
    return { file, rows: rows.length, problems };
  }
  return { file, rows: rows.length, problems, document: await open(picked.id as string) };
}
