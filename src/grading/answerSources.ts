/**
 * The sources shown beside the answers in the Grading panel: what the graded model was given (its prediction
 * row's `retrieved`), each marked with the answers shown that cite it. Closed-book rows have none, and nothing is
 * shown for them. In blind mode the labels are the letters, so a mark never tells which model cited. (No vscode.)
 */
import type { SourceView } from '../protocol/gradingPanel';
import type { GradableAnswer } from './gradedEvaluation';

export interface ShownAnswer {
  /** As the panel shows it: "Fine-tuned", "Answer A"… */
  label: string;
  answer: GradableAnswer | undefined;
}

/** The first shown answer's sources (the graded one comes first), with who cites each. */
export function sourcesOf(shown: readonly ShownAnswer[]): SourceView[] {
  const given = shown.find((s) => s.answer?.retrieved?.length)?.answer?.retrieved ?? [];
  return given.map((source) => ({
    n: source.n,
    id: source.id,
    question: source.question,
    source: source.source ?? null,
    url: source.url ?? null,
    text: source.text,
    cut: source.cut ?? false,
    // A citation counts for this source only when that answer was given the same passage under this number.
    citedBy: shown
      .filter(
        ({ answer }) =>
          answer?.cited?.includes(source.n) &&
          answer.retrieved?.some((s) => s.n === source.n && s.id === source.id),
      )
      .map((s) => s.label),
  }));
}
