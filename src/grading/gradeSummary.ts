import type { EvaluationSide, GradeSummary, GraderAgreement, SideGrades } from '../protocol/metricsPanel';
import { bootstrapMean, cohenKappa, fleissKappa, proportionInterval, spearman } from './agreement';
import { GRADE_FLAGS, gradeOf, preferenceKey, type GradeBook, type GradeRecord } from './gradeStore';
import type { GradableExample, GradedEvaluation } from './gradedEvaluation';

const CATEGORIES = [1, 2, 3, 4] as const;

/** One grader's current grade of one answer (an open grade, else a blind one). */
export interface GradedAnswer {
  grader: string;
  example: GradableExample;
  side: EvaluationSide;
  record: GradeRecord;
}

/** Every current grade of this evaluation's answers, and how many grades are stale. */
export function currentGrades(
  evaluation: GradedEvaluation,
  book: GradeBook,
): { grades: GradedAnswer[]; stale: number } {
  const grades: GradedAnswer[] = [];
  let stale = 0;
  for (const grader of book.graders) {
    for (const example of evaluation.examples) {
      for (const side of evaluation.sides) {
        const answer = example.answers[side];
        if (!answer) continue;
        const open = gradeOf(book, grader, answer.identity);
        const blind = gradeOf(book, grader, answer.identity, true);
        const record = open.current ?? blind.current;
        if (record) grades.push({ grader, example, side, record });
        else if (open.stale || blind.stale) stale += 1;
      }
    }
  }
  return { grades, stale };
}

const answerId = (g: Pick<GradedAnswer, 'example' | 'side'>) => `${g.side}\0${g.example.id}`;

function sideGrades(side: EvaluationSide, grades: GradedAnswer[]): SideGrades {
  const mine = grades.filter((g) => g.side === side);
  const scored = mine.filter((g) => g.record.grade !== null);
  const perAnswer = new Map<string, number[]>();
  for (const g of scored)
    perAnswer.set(answerId(g), [...(perAnswer.get(answerId(g)) ?? []), g.record.grade as number]);
  const means = [...perAnswer.values()].map((v) => v.reduce((a, b) => a + b, 0) / v.length);
  const mean = bootstrapMean(means);
  const distribution: [number, number, number, number] = [0, 0, 0, 0];
  for (const g of scored) distribution[(g.record.grade as number) - 1] += 1;
  const flags: Record<string, number> = {};
  for (const flag of GRADE_FLAGS) flags[flag] = mine.filter((g) => g.record.flags.includes(flag)).length;
  return { side, graded: perAnswer.size, mean: { value: mean.value, ci: mean.ci }, distribution, flags };
}

/** Kappa over the answers the given graders all graded (Cohen quadratic-weighted for two, Fleiss for more). */
function agreement(graders: string[], grades: GradedAnswer[]): GraderAgreement[] {
  const byAnswer = new Map<string, Map<string, number>>();
  for (const g of grades) {
    if (g.record.grade === null) continue;
    const key = answerId(g);
    if (!byAnswer.has(key)) byAnswer.set(key, new Map());
    (byAnswer.get(key) as Map<string, number>).set(g.grader, g.record.grade);
  }
  const shared = (who: string[]) => [...byAnswer.values()].filter((m) => who.every((w) => m.has(w)));
  const results: GraderAgreement[] = [];
  for (let i = 0; i < graders.length; i += 1) {
    for (let j = i + 1; j < graders.length; j += 1) {
      const pair = [graders[i], graders[j]];
      const items = shared(pair);
      if (items.length === 0) continue;
      const a = items.map((m) => m.get(pair[0]) as number);
      const b = items.map((m) => m.get(pair[1]) as number);
      results.push({
        method: 'cohen-quadratic',
        graders: pair,
        n: items.length,
        kappa: cohenKappa(a, b, CATEGORIES, 'quadratic'),
      });
    }
  }
  if (graders.length >= 3) {
    const items = shared(graders);
    if (items.length > 0) {
      const counts = items.map((m) => CATEGORIES.map((c) => [...m.values()].filter((v) => v === c).length));
      results.push({ method: 'fleiss', graders: [...graders], n: items.length, kappa: fleissKappa(counts) });
    }
  }
  return results;
}

function preference(evaluation: GradedEvaluation, book: GradeBook): GradeSummary['preference'] {
  let adapter = 0;
  let base = 0;
  let ties = 0;
  for (const [, preferences] of book.preferences) {
    for (const example of evaluation.examples) {
      const { base: b, adapter: a } = example.answers;
      if (!a || !b) continue;
      const found = preferences.get(
        preferenceKey({
          ...a.identity,
          predictions: { base: b.identity.prediction, adapter: a.identity.prediction },
        }),
      );
      if (!found) continue;
      if (found.preferred === 'adapter') adapter += 1;
      else if (found.preferred === 'base') base += 1;
      else ties += 1;
    }
  }
  const n = adapter + base + ties;
  if (n === 0) return null;
  const rate = proportionInterval(adapter + ties / 2, n);
  return { n, adapter, base, ties, rate: { value: rate.value, ci: rate.ci } };
}

/** Null when nobody graded any of this evaluation's answers (and gave no preference). */
export function summarizeGrades(evaluation: GradedEvaluation, book: GradeBook): GradeSummary | null {
  const { grades, stale } = currentGrades(evaluation, book);
  const prefs = preference(evaluation, book);
  if (grades.length === 0 && !prefs && stale === 0) return null;
  const graders = [...new Set(grades.map((g) => g.grader))].sort();
  const perAnswer = new Map<string, { f1: number | null; grades: number[] }>();
  for (const g of grades) {
    if (g.record.grade === null) continue;
    const entry = perAnswer.get(answerId(g)) ?? { f1: g.example.answers[g.side]?.f1 ?? null, grades: [] };
    entry.grades.push(g.record.grade);
    perAnswer.set(answerId(g), entry);
  }
  const withF1 = [...perAnswer.values()].filter((e) => e.f1 !== null);
  return {
    graders,
    sides: evaluation.sides.map((side) => sideGrades(side, grades)),
    preference: prefs,
    agreement: agreement(graders, grades),
    correlation:
      withF1.length > 0
        ? {
            n: withF1.length,
            spearman: spearman(
              withF1.map((e) => e.grades.reduce((a, b) => a + b, 0) / e.grades.length),
              withF1.map((e) => e.f1 as number),
            ),
          }
        : null,
    stale,
    problems: book.problems,
  };
}
