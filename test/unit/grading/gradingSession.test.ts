import * as assert from 'node:assert/strict';
import type { EvaluationSide } from '../../../src/protocol/metricsPanel';
import { sentencePerLine } from '../../../src/grading/answerText';
import { gradeLensTitle, renderAnswers } from '../../../src/grading/answersDocument';
import { gradesCsv } from '../../../src/grading/gradeExport';
import {
  addGradeFile,
  emptyBook,
  textHash,
  type GradeBook,
  type StoreRecord,
} from '../../../src/grading/gradeStore';
import { currentGrades, summarizeGrades } from '../../../src/grading/gradeSummary';
import type { GradableExample, GradedEvaluation } from '../../../src/grading/gradedEvaluation';
import { blindOrder, GradingSession } from '../../../src/grading/gradingSession';
import { parseGradingMessage } from '../../../src/grading/panelMessages';

function example(id: string, qtype: string, f1: Record<EvaluationSide, number>): GradableExample {
  const answer = (side: EvaluationSide) => {
    const text = `${side} answer to ${id}`;
    return {
      identity: {
        example: id,
        run: 'run',
        checkpoint: side === 'base' ? 'base' : 'adapter',
        side,
        decoding: 'd',
        prediction: textHash(text),
      },
      text,
      f1: f1[side],
      line: 1,
    };
  };
  return {
    id,
    question: `Question ${id}?`,
    qtype,
    reference: `Reference of ${id}.`,
    answers: { base: answer('base'), adapter: answer('adapter') },
  };
}

function evaluation(): GradedEvaluation {
  return {
    dir: '/tmp/run/evaluations/e1',
    name: 'e1',
    title: 'run · e1',
    run: 'run',
    checkpoint: 'adapter',
    sides: ['adapter', 'base'],
    examples: [
      example('q1', 'treatment', { base: 20, adapter: 40 }),
      example('q2', 'symptoms', { base: 5, adapter: 8 }),
      example('q3', 'treatment', { base: 60, adapter: 55 }),
    ],
    problems: [],
  };
}

/** Records appended the way the store does, read back through the same parser. */
function bookOf(records: StoreRecord[]): GradeBook {
  const book = emptyBook();
  const byGrader = new Map<string, string[]>();
  for (const r of records)
    byGrader.set(r.grader, [
      ...(byGrader.get(r.grader) ?? []),
      JSON.stringify({ format: 'medqa-grade', version: 1, ...r }),
    ]);
  for (const [grader, lines] of byGrader)
    addGradeFile(book, `/grades/${grader}.jsonl`, lines.join('\n') + '\n');
  book.graders.sort();
  return book;
}

describe('grading session', () => {
  it('reproduces the blind order from the seed, and mixes the order across examples', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `id-${i}`);
    const first = ids.map((id) => blindOrder(7, id).A);
    assert.deepEqual(
      ids.map((id) => blindOrder(7, id).A),
      first,
    );
    const adapterFirst = first.filter((s) => s === 'adapter').length;
    assert.ok(
      adapterFirst > 70 && adapterFirst < 130,
      `${adapterFirst} of 200 show the fine-tuned answer as A`,
    );
    assert.notDeepEqual(
      ids.map((id) => blindOrder(8, id).A),
      first,
      'another seed, another order',
    );
  });

  it('grades the shown answer, moves to the next ungraded one and filters by F1 band and order', () => {
    const session = new GradingSession(evaluation(), 'alice', 1, () => new Date('2026-01-01T00:00:00Z'));
    let book = bookOf([]);
    const record = session.change(book, 'adapter', { grade: 3 });
    assert.equal(record.example, 'q1');
    assert.equal(record.side, 'adapter');
    assert.equal(record.blind, undefined);
    book = bookOf([record]);
    assert.deepEqual(session.state(book, []).progress, { graded: 1, total: 3 });
    session.navigate(book, 'nextUngraded');
    assert.equal(session.current(book)?.id, 'q2');
    session.setFilter(book, { status: 'all', qtype: null, f1Band: 'all', order: 'f1-ascending' });
    assert.deepEqual(
      session.visible(book).map((e) => e.id),
      ['q2', 'q1', 'q3'],
    );
    session.setFilter(book, { status: 'all', qtype: null, f1Band: 'lt10', order: 'file' });
    assert.deepEqual(
      session.visible(book).map((e) => e.id),
      ['q2'],
    );
    session.setFilter(book, { status: 'ungraded', qtype: 'treatment', f1Band: 'all', order: 'file' });
    assert.deepEqual(
      session.visible(book).map((e) => e.id),
      ['q3'],
    );
  });

  it('hides identities in blind mode until both answers are graded and a preference is given', () => {
    const session = new GradingSession(evaluation(), 'alice', 42);
    let records: StoreRecord[] = [];
    session.setMode('blind', bookOf(records));
    let state = session.state(bookOf(records), []);
    const id = state.example?.id ?? '';
    const serialized = JSON.stringify(state.example);
    assert.deepEqual(
      state.example?.answers.map((a) => a.slot),
      ['A', 'B'],
    );
    assert.ok(!/Fine-tuned|Base model|"adapter"|"base"/.test(serialized), serialized);
    assert.ok(state.example?.answers.every((a) => a.f1 === null));
    assert.throws(() => session.prefer(bookOf(records), 'A'), /Grade both answers/);
    records.push(session.change(bookOf(records), 'A', { grade: 4 }));
    records.push(session.change(bookOf(records), 'B', { grade: 2 }));
    state = session.state(bookOf(records), []);
    assert.equal(state.example?.blind?.canPrefer, true);
    assert.equal(state.example?.blind?.revealed, null);
    const preference = session.prefer(bookOf(records), 'A');
    const order = blindOrder(42, id);
    assert.equal(preference.preferred, order.A);
    assert.deepEqual(preference.order, order);
    assert.equal(preference.seed, 42);
    records = [...records, preference];
    state = session.state(bookOf(records), []);
    assert.deepEqual(state.example?.blind?.revealed, order);
    assert.deepEqual(state.progress, { graded: 1, total: 3 });
    // Blind grades are recorded with the letter shown and the seed, and kept apart from open grades.
    assert.deepEqual(records[0].kind === 'grade' && records[0].blind, { seed: 42, label: 'A' });
    const open = new GradingSession(evaluation(), 'alice', 42);
    open.goTo(id);
    assert.equal(open.state(bookOf(records), []).example?.answers[0].grade, null);
  });

  it('starts blind mode on an ungraded example, never on the one just seen with its model names', () => {
    const session = new GradingSession(evaluation(), 'alice', 42);
    const records: StoreRecord[] = [session.change(bookOf([]), 'adapter', { grade: 3 })];
    session.goTo('q2');
    records.push(session.change(bookOf(records), 'adapter', { grade: 2 }));
    // q1 and q2 were graded openly (their names shown), q2 is on screen: blind A/B starts on q3.
    session.setMode('blind', bookOf(records));
    assert.equal(session.state(bookOf(records), []).example?.id, 'q3');
    // Back to single mode and into blind again from q3: q3 is not shown blind again right after being seen.
    session.setMode('single', bookOf(records));
    session.setMode('blind', bookOf(records));
    assert.notEqual(session.state(bookOf(records), []).example?.id, 'q3');
  });

  it('summarizes grades per model with agreement, preference and the correlation with F1', () => {
    const ev = evaluation();
    const records: StoreRecord[] = [];
    const grades: Record<string, number[]> = { alice: [4, 1, 3], bob: [4, 2, 3] };
    for (const [grader, values] of Object.entries(grades)) {
      const session = new GradingSession(ev, grader, 0);
      values.forEach((g, i) => {
        session.goTo(ev.examples[i].id);
        records.push(
          session.change(bookOf(records), 'adapter', {
            grade: g as 1 | 2 | 3 | 4,
            ...(g === 1 ? { toggleFlag: 'unsafe' as const } : {}),
          }),
        );
      });
    }
    const summary = summarizeGrades(ev, bookOf(records));
    assert.ok(summary);
    assert.deepEqual(summary.graders, ['alice', 'bob']);
    const adapter = summary.sides.find((s) => s.side === 'adapter');
    assert.equal(adapter?.graded, 3);
    assert.deepEqual(adapter?.distribution, [1, 1, 2, 2]);
    assert.equal(adapter?.flags.unsafe, 1);
    assert.ok(Math.abs((adapter?.mean.value ?? 0) - 17 / 6) < 1e-9);
    assert.equal(summary.sides.find((s) => s.side === 'base')?.graded, 0);
    assert.equal(summary.agreement.length, 1);
    assert.equal(summary.agreement[0].method, 'cohen-quadratic');
    assert.equal(summary.agreement[0].n, 3);
    assert.ok((summary.agreement[0].kappa ?? 0) > 0.8);
    assert.equal(summary.correlation?.n, 3);
    assert.equal(summary.preference, null);
    const csv = gradesCsv(currentGrades(ev, bookOf(records)).grades);
    assert.equal(csv.split('\r\n').length, 8, 'header, six grades, trailing newline');
    assert.equal(summarizeGrades(ev, bookOf([])), null);
  });

  it('shows a blind grade in the answers document as Metrics counts it, not "Ungraded"', () => {
    const ev = evaluation();
    const session = new GradingSession(ev, 'alice', 42);
    const records: StoreRecord[] = [];
    session.setMode('blind', bookOf(records));
    const id = session.state(bookOf(records), []).example?.id ?? '';
    records.push(session.change(bookOf(records), 'A', { grade: 3, toggleFlag: 'missing' }));
    const side = blindOrder(42, id).A;
    const answer = ev.examples.find((e) => e.id === id)?.answers[side];
    assert.ok(answer);
    assert.equal(
      gradeLensTitle(bookOf(records), 'alice', answer.identity),
      '$(star-full) 3 · Correct but incomplete (blind) · $(warning) missing',
    );
    assert.equal(summarizeGrades(ev, bookOf(records))?.sides.find((s) => s.side === side)?.graded, 1);
    // An open grade, once given, is the one shown.
    const open = new GradingSession(ev, 'alice', 42);
    open.goTo(id);
    open.setSide(side);
    records.push(open.change(bookOf(records), side, { grade: 4 }));
    assert.equal(
      gradeLensTitle(bookOf(records), 'alice', answer.identity),
      '$(star-full) 4 · Correct and complete',
    );
    const other = ev.examples.find((e) => e.id !== id)?.answers.adapter;
    assert.ok(other);
    assert.equal(gradeLensTitle(bookOf(records), 'alice', other.identity), '$(circle-outline) Ungraded');
  });

  it('renders answers one section per example with anchors on the answer lines', () => {
    const doc = renderAnswers(evaluation(), 'adapter');
    const lines = doc.text.split('\n');
    assert.equal(doc.anchors.length, 3);
    assert.equal(lines[doc.anchors[0].headingLine], '### Answer');
    assert.equal(lines[doc.anchors[0].firstLine], 'adapter answer to q1');
    assert.match(doc.text, /## 2 · q2 · symptoms · F1 8\.0/);
  });

  it('lays answers out one sentence per line for the diff editor', () => {
    assert.equal(
      sentencePerLine(
        'Take 5 mg daily, e.g. with food. Call a doctor if it gets worse!\n\nSecond paragraph here.',
      ),
      'Take 5 mg daily, e.g. with food.\nCall a doctor if it gets worse!\n\nSecond paragraph here.\n',
    );
  });

  it('accepts the panel messages of the protocol and rejects forged ones', () => {
    assert.deepEqual(parseGradingMessage({ type: 'grade', id: 'q1', slot: 'A', grade: 3 }), {
      type: 'grade',
      id: 'q1',
      slot: 'A',
      grade: 3,
    });
    for (const forged of [
      { type: 'grade', id: 'q1', slot: 'A', grade: 5 },
      { type: 'grade', slot: 'A', grade: 3 },
      { type: 'grade', id: 'q1', slot: '../x', grade: 1 },
      { type: 'toggleFlag', id: 'q1', slot: 'adapter', flag: 'rm -rf' },
      { type: 'openDiff', id: 'q1', kind: 'reference', slot: 'adapter', path: '/etc/passwd' },
      { type: 'comment', id: 'q1', slot: 'base', comment: 'x'.repeat(20_000) },
      { type: 'unknown' },
      'ready',
      null,
    ])
      assert.ok(parseGradingMessage(forged) instanceof Error, JSON.stringify(forged).slice(0, 80));
  });
});
