import * as vscode from 'vscode';
import { Commands } from '../../commands';
import type { EvaluationSide } from '../../protocol/metricsPanel';
import { gradeLensTitle } from '../answersDocument';
import { GRADE_LABELS } from '../gradeStore';
import { evaluationOfPredictions, type GradableExample } from '../gradedEvaluation';
import { ANSWERS_SCHEME, answersQuery, type AnswerDocuments } from './answerDocuments';
import type { GradeService } from './gradeService';

/** What a grading CodeLens or hover acts on. */
export interface AnswerTarget {
  dir: string;
  side: EvaluationSide;
  id: string;
}

interface Located {
  target: AnswerTarget;
  /** The line the lens sits on. */
  line: number;
  /** The lines hovering shows the reference for. */
  range: vscode.Range;
}

/** Answers in a `medqa-answers:` document or a raw `<evaluation>/<side>/predictions.jsonl`, with their lines. */
async function locate(
  grades: GradeService,
  documents: AnswerDocuments,
  document: vscode.TextDocument,
): Promise<{ located: Located[]; examples: Map<string, GradableExample> }> {
  let dir: string;
  let side: EvaluationSide;
  let located: Located[];
  if (document.uri.scheme === ANSWERS_SCHEME) {
    ({ dir, side } = answersQuery(document.uri));
    const { anchors } = await documents.anchors(document.uri);
    located = anchors.map((a) => ({
      target: { dir, side, id: a.id },
      line: a.headingLine,
      range: new vscode.Range(a.firstLine, 0, a.lastLine, Number.MAX_SAFE_INTEGER),
    }));
  } else {
    const owner = document.uri.scheme === 'file' ? evaluationOfPredictions(document.uri.fsPath) : undefined;
    if (!owner) return { located: [], examples: new Map() };
    ({ dir, side } = owner);
    // The file on disk, as graded (an unsaved edit in the editor does not change what was evaluated).
    const evaluation = await grades.evaluation(dir);
    located = evaluation.examples.flatMap((e) => {
      const answer = e.answers[side];
      return answer
        ? [
            {
              target: { dir, side, id: e.id },
              line: answer.line - 1,
              range: document.lineAt(Math.min(answer.line - 1, document.lineCount - 1)).range,
            },
          ]
        : [];
    });
  }
  const evaluation = await grades.evaluation(dir);
  return { located, examples: new Map(evaluation.examples.map((e) => [e.id, e])) };
}

/** The grade lens text: the current grade (open, else blind), a stale one, or "Ungraded". */
export function gradeTitle(grades: GradeService, example: GradableExample, side: EvaluationSide): string {
  const answer = example.answers[side];
  if (!answer) return 'No answer';
  let grader: string;
  try {
    grader = grades.grader();
  } catch {
    return '$(error) Set medqa.grading.grader to grade';
  }
  return gradeLensTitle(grades.latest, grader, answer.identity);
}

/** CodeLens above each answer: its grade, 1–4, flags, and the two diffs. Refreshed whenever grades change. */
export class GradeLensProvider implements vscode.CodeLensProvider, vscode.HoverProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly grades: GradeService,
    private readonly documents: AnswerDocuments,
  ) {
    this.subscription = grades.onDidChange(() => this.changed.fire());
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    await this.grades.current();
    const { located, examples } = await locate(this.grades, this.documents, document);
    return located.flatMap(({ target, line }) => {
      const example = examples.get(target.id);
      if (!example) return [];
      const at = new vscode.Range(line, 0, line, 0);
      const lens = (title: string, command: string, args: unknown[], tooltip?: string) =>
        new vscode.CodeLens(at, { title, command, arguments: args, ...(tooltip ? { tooltip } : {}) });
      const lenses = [
        lens(
          gradeTitle(this.grades, example, target.side),
          Commands.gradingSetGrade,
          [target],
          'Choose a grade',
        ),
        ...([1, 2, 3, 4] as const).map((g) =>
          lens(String(g), Commands.gradingSetGrade, [{ ...target, grade: g }], `${g} · ${GRADE_LABELS[g]}`),
        ),
        lens('Flags…', Commands.gradingSetFlags, [target]),
        lens('Compare with Reference', Commands.gradingCompareWithReference, [target]),
      ];
      if (example.answers.base && example.answers.adapter)
        lenses.push(lens('Base vs Fine-tuned', Commands.gradingCompareBaseVsFineTuned, [target]));
      return lenses;
    });
  }

  async provideHover(
    document: vscode.TextDocument,
    position: vscode.Position,
  ): Promise<vscode.Hover | undefined> {
    const { located, examples } = await locate(this.grades, this.documents, document);
    const hit = located.find((l) => l.range.contains(position) || l.line === position.line);
    const example = hit && examples.get(hit.target.id);
    if (!example) return undefined;
    const markdown = new vscode.MarkdownString(undefined, true);
    markdown.appendMarkdown(`**Reference** · ${example.qtype}\n\n`);
    // The reference is data, not Markdown to render.
    markdown.appendCodeblock(example.reference, 'text');
    return new vscode.Hover(markdown, hit.range);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
