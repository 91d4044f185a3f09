import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { ComparedEvaluation } from '../../../src/protocol/runComparison';
import { buildComparisonState, TOKENS_NOTE } from '../../../src/runComparison/comparisonState';
import { comparisonCsv, comparisonMarkdown } from '../../../src/runComparison/comparisonExport';
import { cellText, sortRuns, tableColumns } from '../../../src/runComparison/comparisonTable';
import { configText, diffConfigs, flattenConfig } from '../../../src/runComparison/configDiff';
import { ema, median, tokensSeen, valueAtStep } from '../../../src/runComparison/curves';
import { decimateIndices, rangeIndices } from '../../../src/runComparison/decimate';
import { parseComparisonMessage } from '../../../src/runComparison/panelMessages';
import { RunRegistry, type RunInfo } from '../../../src/runs/registry';
import { emptyProgress, type RunStatus, type StepPoint } from '../../../src/runs/runState';
import { fixturesDir } from '../../support/paths';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

interface RunSpec {
  config?: Record<string, unknown>;
  steps?: number;
  /** Seconds between logged steps. */
  every?: number;
  tokensPerSecond?: number | null;
  loss?: (step: number) => number;
  evalEvery?: number;
  status?: RunStatus;
  ended?: boolean;
  bestEvalLoss?: number | null;
}

/** A RunInfo as the registry would hold it: one logged step per `every` seconds from T0. */
function runInfo(name: string, spec: RunSpec = {}): RunInfo {
  const progress = emptyProgress();
  const every = spec.every ?? 2;
  const count = spec.steps ?? 10;
  progress.startedAt = T0;
  progress.config = spec.config;
  for (let i = 1; i <= count; i++) {
    const step: StepPoint = {
      step: i,
      epoch: i / count,
      loss: spec.loss ? spec.loss(i) : 2 / i,
      learningRate: 1e-4,
      gradNorm: 1,
      tokensPerSecond: spec.tokensPerSecond === undefined ? 100 : spec.tokensPerSecond,
      time: T0 + i * every * 1000,
    };
    progress.steps.push(step);
    if (spec.evalEvery && i % spec.evalEvery === 0)
      progress.evals.push({ step: i, evalLoss: 3 / i, perplexity: Math.exp(3 / i), time: step.time });
  }
  progress.lastEventAt = T0 + count * every * 1000;
  if (spec.ended !== false && spec.status !== 'running') {
    progress.terminal = 'run_finished';
    progress.endedAt = progress.lastEventAt;
    progress.finalStep = count;
    progress.bestEvalLoss = spec.bestEvalLoss;
  }
  return {
    dir: `/runs/${name}`,
    name,
    status: spec.status ?? 'finished',
    progress,
    checkpoints: [],
    skippedLines: 0,
    createdAt: T0,
    files: {},
  };
}

describe('run comparison: config diff', () => {
  it('flattens nested config objects to dotted keys; arrays and empty objects stay values', () => {
    assert.deepEqual(flattenConfig({ lora: { r: 16, target: ['q', 'v'], extra: {} }, lr: 1e-4 }), {
      'lora.r': 16,
      'lora.target': ['q', 'v'],
      'lora.extra': {},
      lr: 1e-4,
    });
    assert.equal(configText(['q_proj', 'v_proj']), 'q_proj, v_proj');
    assert.equal(configText(null), 'null');
    assert.equal(configText(false), 'false');
  });

  it('lists the fields that differ, including nested and missing ones, and hides identical ones', () => {
    const diff = diffConfigs([
      { learning_rate: 1e-4, seed: 42, lora: { r: 16, alpha: 32 }, output_dir: '/a', packing: true },
      { learning_rate: 2e-4, seed: 42, lora: { r: 8, alpha: 32 }, output_dir: '/b' },
      { learning_rate: 1e-4, seed: 42, lora: { r: 16, alpha: 32 }, output_dir: '/c', packing: true },
    ]);
    assert.deepEqual(diff.differing, ['learning_rate', 'lora.r', 'packing']);
    assert.deepEqual(diff.all, ['learning_rate', 'lora.alpha', 'lora.r', 'packing', 'seed']);
    assert.equal(diff.values[1]['lora.r'], '8');
    assert.equal(diff.values[0].learning_rate, '0.0001');
    assert.equal('packing' in diff.values[1], false, 'a field the run lacks is absent, not empty');
    assert.equal('output_dir' in diff.values[0], false, 'the run folder is not a config difference');
  });

  it('equal arrays are equal; a run without a config takes no part in the diff', () => {
    const diff = diffConfigs([{ modules: ['q', 'v'], r: 16 }, undefined, { modules: ['q', 'v'], r: 16 }]);
    assert.deepEqual(diff.differing, []);
    assert.deepEqual(diff.values[1], {});
    assert.deepEqual(
      diffConfigs([{ r: 1 }, undefined]).differing,
      [],
      'one reported config: nothing to diff',
    );
  });
});

describe('run comparison: min/max decimation', () => {
  // A noisy curve with spikes and dips in odd places, so min and max are rarely a bucket's first or last point.
  const n = 50_000;
  const y = Float64Array.from({ length: n }, (_, i) => {
    const noise = Math.sin(i * 12.9898) * 43758.5453;
    return (
      2 / (1 + i / 5000) +
      (noise - Math.floor(noise)) * 0.1 +
      (i % 977 === 0 ? 5 : 0) -
      (i % 1231 === 0 ? 1 : 0)
    );
  });

  it('keeps the first and last points and every bucket’s minimum and maximum', () => {
    const buckets = 200;
    const kept = decimateIndices(y, buckets);
    assert.ok(kept.length <= buckets * 4, `${kept.length} points`);
    assert.equal(kept[0], 0);
    assert.equal(kept[kept.length - 1], n - 1);
    for (let i = 1; i < kept.length; i++) assert.ok(kept[i] > kept[i - 1], 'ascending, no repeats');
    const keptSet = new Set(kept);
    for (let b = 0; b < buckets; b++) {
      const start = Math.floor((b * n) / buckets);
      const end = Math.floor(((b + 1) * n) / buckets);
      const values = y.subarray(start, end);
      const min = values.reduce((a, v) => Math.min(a, v), Infinity);
      const max = values.reduce((a, v) => Math.max(a, v), -Infinity);
      const inBucket = kept.filter((i) => i >= start && i < end).map((i) => y[i]);
      assert.ok(inBucket.includes(min), `bucket ${b} lost its minimum`);
      assert.ok(inBucket.includes(max), `bucket ${b} lost its maximum`);
      assert.ok(keptSet.has(start) && keptSet.has(end - 1), `bucket ${b} lost its first or last point`);
    }
    // The global extremes (the spikes) survive.
    const [lowest, highest] = y.reduce(
      ([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)],
      [Infinity, -Infinity],
    );
    assert.ok(kept.some((i) => y[i] === highest));
    assert.ok(kept.some((i) => y[i] === lowest));
  });

  it('returns every index of a short curve, skips non-finite values, and decimates a sub-range', () => {
    assert.deepEqual(decimateIndices([3, 1, 2], 10), [0, 1, 2]);
    assert.deepEqual(decimateIndices([], 10), []);
    const withNaN = [NaN, 5, 1, NaN, 9, 2, 7, 3];
    const kept = decimateIndices(withNaN, 1);
    assert.ok(kept.includes(2) && kept.includes(4), 'min 1 and max 9');
    const part = decimateIndices(y, 10, 1000, 2000);
    assert.ok(part[0] === 1000 && part[part.length - 1] === 1999 && part.length <= 40);
  });

  it('finds the points of a zoomed range with one neighbour on each side', () => {
    const x = [0, 10, 20, 30, 40, 50];
    assert.deepEqual(rangeIndices(x, [15, 35]), [1, 5]);
    assert.deepEqual(rangeIndices(x, [20, 30]), [1, 5]);
    assert.deepEqual(rangeIndices(x, null), [0, 6]);
    assert.deepEqual(rangeIndices(x, [-10, 100]), [0, 6]);
  });
});

describe('run comparison: curves', () => {
  it('smooths with a bias-corrected EMA', () => {
    assert.deepEqual(Array.from(ema([1, 2, 3], 0)), [1, 2, 3]);
    assert.deepEqual(
      Array.from(ema([4, 4, 4], 0.9)).map((v) => Number(v.toFixed(9))),
      [4, 4, 4],
    );
    const smooth = ema([0, 10, 0, 10, 0, 10], 0.9);
    assert.ok(smooth[5] > 0 && smooth[5] < 10);
  });

  it('estimates tokens seen from tokens/s × time between steps, or says why it cannot', () => {
    const run = runInfo('a', { steps: 3, every: 2, tokensPerSecond: 50 });
    const seen = tokensSeen(run.progress.steps, T0);
    assert.ok('tokens' in seen);
    // The first interval gets the pace of the second (2 s per step).
    assert.deepEqual(Array.from(seen.tokens), [100, 200, 300]);
    const none = tokensSeen(runInfo('b', { steps: 3, tokensPerSecond: null }).progress.steps);
    assert.ok('reason' in none && /tokens\/s/.test(none.reason));
  });

  it('places a step on the epoch or tokens axis and takes medians', () => {
    assert.equal(valueAtStep([10, 20], [1, 2], 15), 1.5);
    assert.equal(valueAtStep([10, 20], [1, 2], 20), 2);
    assert.equal(valueAtStep([10, 20], [1, 2], 40), 4);
    assert.equal(valueAtStep([], [], 4), undefined);
    assert.equal(median([3, null, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([null]), null);
  });
});

describe('run comparison: state', () => {
  const evaluation: ComparedEvaluation = {
    dir: '/runs/b/evaluations/20260101-120000',
    name: '20260101-120000',
    metrics: { f1: { value: 45.2, ci: [40.1, 50.3] }, rouge_l: { value: 0.312, ci: [0.29, 0.33] } },
  };

  it('builds the table rows and the config diff from RunInfo objects', () => {
    const a = runInfo('a', { config: { learning_rate: 1e-4, lora: { r: 16 } }, steps: 20, evalEvery: 5 });
    const b = runInfo('b', {
      config: { learning_rate: 2e-4, lora: { r: 16 } },
      steps: 10,
      every: 3,
      tokensPerSecond: 80,
      bestEvalLoss: 0.25,
    });
    const state = buildComparisonState({
      runs: [a, b],
      missing: ['/runs/gone'],
      evaluations: new Map([['/runs/b', evaluation]]),
      now: T0,
    });
    assert.deepEqual(
      state.runs.map((r) => r.name),
      ['a', 'b'],
    );
    assert.deepEqual(state.configKeys, { all: ['learning_rate', 'lora.r'], differing: ['learning_rate'] });
    assert.deepEqual(state.missing, ['/runs/gone']);
    const [ra, rb] = state.runs;
    assert.equal(ra.bestEvalLoss, 3 / 20, 'the lowest validation loss when the run reported none');
    assert.equal(rb.bestEvalLoss, 0.25);
    assert.equal(ra.trainingSeconds, 40);
    assert.equal(rb.trainingSeconds, 30);
    assert.equal(rb.tokensPerSecond, 80);
    assert.equal(ra.evaluation, null);
    assert.equal(rb.evaluation?.metrics.f1?.value, 45.2);
    assert.equal(ra.curves.train.x.length, 20);
    assert.deepEqual(ra.curves.validation.x, [5, 10, 15, 20]);
    assert.equal(ra.curves.smoothed, null);
    assert.equal(cellText(rb, 'metric:f1'), '45.2 [40.1, 50.3]');
    assert.equal(cellText(rb, 'metric:rouge_l'), '0.312 [0.290, 0.330]');
    assert.equal(cellText(ra, 'trainingSeconds'), '40s');
    assert.deepEqual(
      tableColumns(state, false).map((c) => c.id),
      [
        'name',
        'status',
        'config:learning_rate',
        'bestEvalLoss',
        'trainingSeconds',
        'tokensPerSecond',
        'metric:f1',
        'metric:rouge_l',
      ],
    );
    assert.equal(tableColumns(state, true).filter((c) => c.id.startsWith('config:')).length, 2);
  });

  it('decimates 50,000 logged steps for drawing but keeps the lowest loss', () => {
    const loss = (step: number) => 3 / Math.sqrt(step) + (step === 31_337 ? -0.5 : 0);
    const run = runInfo('long', { steps: 50_000, every: 1, loss });
    const state = buildComparisonState({ runs: [run], now: T0, buckets: 300 });
    const train = state.runs[0].curves.train;
    assert.ok(train.x.length <= 1200, `${train.x.length} points drawn`);
    assert.equal(train.x[0], 1);
    assert.equal(train.x[train.x.length - 1], 50_000);
    assert.ok(train.x.includes(31_337), 'the dip is drawn');
    assert.deepEqual(state.points, { shown: train.x.length, total: 50_000 });
    // Zoomed in: every point of the range, one neighbour each side.
    const zoomed = buildComparisonState({
      runs: [run],
      now: T0,
      view: { xAxis: 'step', smoothing: 0, range: [1000, 1100] },
    });
    assert.deepEqual(zoomed.runs[0].curves.train.x.slice(0, 3), [999, 1000, 1001]);
    assert.equal(zoomed.runs[0].curves.train.x.length, 103);
    assert.deepEqual(zoomed.points, { shown: 103, total: 103 }, 'nothing left out inside the range');
    // No decimation: the naive payload.
    const full = buildComparisonState({ runs: [run], now: T0, buckets: 0 });
    assert.equal(full.runs[0].curves.train.x.length, 50_000);
  });

  it('smooths, and puts evaluations on the epoch and tokens axes', () => {
    const run = runInfo('a', { steps: 10, every: 2, tokensPerSecond: 10, evalEvery: 5 });
    const smoothed = buildComparisonState({
      runs: [run],
      now: T0,
      view: { xAxis: 'step', smoothing: 0.6, range: null },
    });
    assert.equal(smoothed.runs[0].curves.smoothed?.y.length, 10);
    const epoch = buildComparisonState({
      runs: [run],
      now: T0,
      view: { xAxis: 'epoch', smoothing: 0, range: null },
    });
    assert.deepEqual(epoch.runs[0].curves.validation.x, [0.5, 1]);
    const tokens = buildComparisonState({
      runs: [run],
      now: T0,
      view: { xAxis: 'tokens', smoothing: 0, range: null },
    });
    assert.equal(tokens.view.xAxis, 'tokens');
    assert.deepEqual(tokens.runs[0].curves.validation.x, [100, 200]);
    assert.equal(tokens.axes.tokens.note, TOKENS_NOTE);
  });

  it('disables the tokens axis with a reason when a run logs no tokens/s, and falls back to steps', () => {
    const state = buildComparisonState({
      runs: [runInfo('a'), runInfo('no-rate', { tokensPerSecond: null })],
      now: T0,
      view: { xAxis: 'tokens', smoothing: 0, range: [1, 2] },
    });
    assert.equal(state.axes.tokens.available, false);
    assert.match(state.axes.tokens.reason ?? '', /no-rate: its steps log no tokens\/s/);
    assert.deepEqual(state.view, { xAxis: 'step', smoothing: 0, range: null });
    assert.equal(state.axes.epoch.available, true);
  });

  it('a run still training counts its time up to now', () => {
    const running = runInfo('live', { status: 'running', steps: 5, every: 2 });
    const state = buildComparisonState({ runs: [running], now: T0 + 60_000 });
    assert.equal(state.runs[0].trainingSeconds, 60);
    assert.equal(state.runs[0].hasConfig, false);
  });

  it('sorts with missing values last and exports CSV and Markdown in that order', () => {
    const runs = [
      runInfo('a', { config: { lr: 1e-4, note: 'x, "y"' } }),
      runInfo('b', { config: { lr: 3e-4, note: 'same' }, bestEvalLoss: 0.5 }),
      runInfo('c', { config: { lr: 2e-4, note: 'same' }, bestEvalLoss: 0.4 }),
    ];
    const state = buildComparisonState({
      runs,
      now: T0,
      evaluations: new Map([['/runs/b', evaluation]]),
    });
    assert.deepEqual(
      sortRuns(state.runs, { column: 'bestEvalLoss', descending: false }).map((r) => r.name),
      ['c', 'b', 'a'],
    );
    assert.deepEqual(
      sortRuns(state.runs, { column: 'config:lr', descending: true }).map((r) => r.name),
      ['b', 'c', 'a'],
    );
    const csv = comparisonCsv(state, { sort: { column: 'config:lr', descending: false } }).split('\r\n');
    assert.equal(
      csv[0],
      'run,status,folder,lr,note,best_val_loss,training_seconds,tokens_per_second_median,f1,f1_ci_low,f1_ci_high,rouge_l,rouge_l_ci_low,rouge_l_ci_high,evaluation',
    );
    assert.equal(csv[1], 'a,finished,/runs/a,0.0001,"x, ""y""",,20,100,,,,,,,');
    assert.equal(
      csv[3],
      `b,finished,/runs/b,0.0003,same,0.5,20,100,45.2,40.1,50.3,0.312,0.29,0.33,${evaluation.dir}`,
    );
    assert.equal(csv.length, 5, 'header, three runs, final line break');
    const markdown = comparisonMarkdown(state, { allFields: true });
    assert.match(markdown, /^\| Run \| Status \| lr \| note \| Best val loss \|/m);
    assert.match(
      markdown,
      /^\| b \| finished \| 0\.0003 \| same \| 0\.50 \| 20s \| 100 \| 45\.2 \\\[40\.1, 50\.3\\\] \|/m,
    );
  });
});

describe('run comparison: the e2e fixture runs through the registry', () => {
  it('reads both runs and diffs their configs: learning rate and LoRA rank', async () => {
    const registry = new RunRegistry(path.join(fixturesDir, 'runs'), { isAlive: async () => false });
    const runs = (await registry.refreshAll()).sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(
      runs.map((run) => [run.name, run.status, run.progress.steps.length, run.progress.evals.length]),
      [
        ['compare-lr-1e-4', 'finished', 20, 4],
        ['compare-lr-3e-4', 'finished', 20, 4],
      ],
    );
    const state = buildComparisonState({ runs, now: Date.now() });
    assert.deepEqual(state.configKeys.differing, ['learning_rate', 'lora_r']);
    assert.equal(state.axes.tokens.available, true);
    assert.deepEqual(
      state.runs.map((run) => [run.config.learning_rate, run.bestEvalLoss]),
      [
        ['0.0001', 1.4403],
        ['0.0003', 1.4183],
      ],
    );
  });
});

describe('run comparison: panel messages', () => {
  it('accepts the panel requests and rejects anything else', () => {
    const view = { xAxis: 'epoch', smoothing: 0.5, range: [1, 2] };
    assert.deepEqual(parseComparisonMessage({ type: 'setView', view }), { type: 'setView', view });
    assert.ok(
      !(
        parseComparisonMessage({ type: 'export', format: 'csv', allFields: false, sort: null }) instanceof
        Error
      ),
    );
    assert.ok(parseComparisonMessage({ type: 'setView', view: { ...view, smoothing: 2 } }) instanceof Error);
    assert.ok(
      parseComparisonMessage({ type: 'setView', view: { ...view, range: [1, Infinity] } }) instanceof Error,
    );
    assert.ok(parseComparisonMessage({ type: 'removeRun', dir: '/a', extra: 1 }) instanceof Error);
    assert.ok(parseComparisonMessage({ type: 'runScript' }) instanceof Error);
    assert.ok(parseComparisonMessage('ready') instanceof Error);
  });
});
