import { loadEvaluation, type EvaluationEntry } from '../evaluation/evaluationFolder';
import type { ComparedEvaluation } from '../protocol/runComparison';
import { EVALUATION_METRICS } from './comparisonState';

/** A run's evaluations, newest first, wherever they are kept (the artefact index's `evaluationsOf`). */
export type RunEvaluations = (runDir: string) => Promise<EvaluationEntry[]>;

/** The newest finished evaluation among `entries` that scored the fine-tuned model, as the table shows it. */
export async function newestEvaluation(
  entries: readonly EvaluationEntry[],
): Promise<ComparedEvaluation | null> {
  for (const entry of entries) {
    if (entry.record && entry.record.status !== 'finished') continue;
    const summary = await loadEvaluation(entry.dir);
    if (summary.status !== 'finished') continue;
    const metrics: ComparedEvaluation['metrics'] = {};
    for (const metric of EVALUATION_METRICS)
      metrics[metric] = summary.overall.find((row) => row.metric === metric)?.adapter ?? null;
    if (Object.values(metrics).some((value) => value !== null))
      // "… · RAG k=3": the scores of a RAG evaluation are not closed-book scores; the cell's title says which.
      return { dir: entry.dir, name: `${entry.name} · ${summary.mode ?? 'closed-book'}`, metrics };
  }
  return null;
}

/**
 * The evaluation the comparison shows for each run: its newest finished one, re-read only when the run's listing
 * changes. The listing comes from `list`, so an imported run's evaluations (kept in the workspace, not in its
 * read-only folder) are found like those of a run of ours. (No vscode import.)
 */
export class ComparedEvaluations {
  /** Run folder → (listing key, newest evaluation). */
  private readonly cache = new Map<string, { key: string; value: ComparedEvaluation | null }>();

  constructor(
    private readonly list: RunEvaluations,
    private readonly warn: (message: string) => void,
  ) {}

  async of(runDir: string): Promise<ComparedEvaluation | null> {
    try {
      const entries = await this.list(runDir);
      const key = JSON.stringify(entries.map((e) => [e.dir, e.record?.status, e.record?.finishedAt]));
      const cached = this.cache.get(runDir);
      if (cached?.key === key) return cached.value;
      const value = await newestEvaluation(entries);
      this.cache.set(runDir, { key, value });
      return value;
    } catch (error) {
      this.warn(`Run comparison: evaluations of ${runDir}: ${(error as Error).message}`);
      return null;
    }
  }
}
