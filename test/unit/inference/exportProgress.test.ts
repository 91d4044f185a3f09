import * as assert from 'node:assert/strict';
import {
  addTiming,
  estimateExport,
  parseExporterLine,
  readTimings,
  REFERENCE_EXPORT,
  type ExportTiming,
} from '../../../src/inference/exportProgress';
import { ExportTracker } from '../../../src/inference/exportTracker';

describe('ONNX export progress: which lines are progress', () => {
  it('takes only the exporter\'s own lines; warnings and their source lines stay out (the "warnings.warn(" line)', () => {
    for (const noise of [
      'warnings.warn(',
      '/venv/lib/python3.11/site-packages/torch/onnx/_internal/jit_utils.py:308: UserWarning: Constant folding',
      '  _C._jit_pass_onnx_node_shape_type_inference(node, params_dict, opset_version)',
      'Traceback (most recent call last):',
      'export-onnx:',
      '',
    ])
      assert.equal(parseExporterLine(noise), undefined, noise);
  });

  it('numbered lines start a phase (the export one names the size); other exporter lines are details', () => {
    assert.deepEqual(parseExporterLine('export-onnx: [1/4] loading smollm2-135m-instruct'), {
      kind: 'phase',
      phase: 1,
      text: 'loading smollm2-135m-instruct',
    });
    assert.deepEqual(
      parseExporterLine(
        'export-onnx: [2/4] exporting 135 M parameters with torch.onnx (torchscript), fp32; about 27 s',
      ),
      {
        kind: 'phase',
        phase: 2,
        text: 'exporting 135 M parameters with torch.onnx (torchscript), fp32; about 27 s',
        parameters: 135e6,
      },
    );
    assert.deepEqual(parseExporterLine('export-onnx: validated 1/3 prompts; about 4 s for the rest'), {
      kind: 'detail',
      text: 'validated 1/3 prompts; about 4 s for the rest',
      fraction: 1 / 3,
    });
    // A phase count this side does not know is not trusted as a phase.
    assert.equal(parseExporterLine('export-onnx: [2/7] something new')?.kind, 'detail');
    assert.equal(parseExporterLine('export-onnx: done: /x (543.2 MB, 41 s)')?.kind, 'detail');
  });
});

describe('ONNX export progress: the estimate before it starts', () => {
  const timing = (model: string, adapter: boolean, seconds: number, parameters: number | null = null) =>
    ({ model, adapter, seconds, parameters, phaseSeconds: [10, 10, 20, 10, 5] }) satisfies ExportTiming;

  it('without history: the reference measurement scaled by parameter count, and it says so', () => {
    const base = estimateExport({ model: 'm', adapter: false, parameters: REFERENCE_EXPORT.parameters }, []);
    assert.equal(base?.seconds, 105);
    assert.match(base?.basis ?? '', /^rough: SmolLM2-135M took 1 min 45 s on a 2-core CPU/);
    const big = estimateExport(
      { model: 'm', adapter: true, parameters: 2 * REFERENCE_EXPORT.parameters },
      [],
    );
    assert.equal(big?.seconds, 228);
    // Unknown size and nothing measured: no made-up figure.
    assert.equal(estimateExport({ model: 'org/unknown', adapter: false, parameters: null }, []), undefined);
  });

  it('measured history of the same model and kind wins (median of the last three), with its phase split', () => {
    const history = [
      timing('m', false, 300),
      timing('m', false, 100),
      timing('m', false, 120),
      timing('m', false, 90),
      timing('m', true, 500),
    ];
    const estimate = estimateExport({ model: 'm', adapter: false, parameters: 1e6 }, history);
    assert.equal(estimate?.seconds, 100);
    assert.match(estimate?.basis ?? '', /^measured: the last 3 exports of this base model took 1 min 40 s/);
    assert.deepEqual(
      estimate?.shares.map((s) => Math.round(s * 1000)),
      [182, 182, 364, 182, 91],
    );
  });

  it('another model measured here is scaled by parameter count before the reference is used', () => {
    const history = [timing('small', true, 60, 50e6)];
    const estimate = estimateExport({ model: 'big', adapter: true, parameters: 100e6 }, history);
    assert.equal(estimate?.seconds, 120);
    assert.match(estimate?.basis ?? '', /scaled from this machine's export of small/);
  });

  it('keeps the newest timings and drops malformed stored entries', () => {
    let history: ExportTiming[] = [];
    for (let i = 1; i <= 25; i++) history = addTiming(history, timing(`m${i}`, false, i));
    assert.equal(history.length, 20);
    assert.equal(history[0].model, 'm6');
    assert.deepEqual(
      readTimings([
        { model: 'x' },
        null,
        'y',
        timing('ok', true, 5),
        { ...timing('z', true, 5), seconds: NaN },
      ]),
      [timing('ok', true, 5)],
    );
    assert.deepEqual(readTimings(undefined), []);
  });
});

describe('ONNX export progress: a bar that moves and says where it is', () => {
  const t0 = 1_000_000;
  const s = (seconds: number) => t0 + seconds * 1000;
  const estimate = { seconds: 100, shares: [0.1, 0.2, 0.4, 0.2, 0.1], basis: 'test' };

  it('moves with the clock inside a silent phase, jumps at phase lines, never goes back', () => {
    const tracker = new ExportTracker([{ label: 'checkpoint-63', estimate }], t0);
    tracker.startJob(0, t0);
    const early = tracker.fraction(s(2));
    const later = tracker.fraction(s(8));
    assert.ok(later > early && early > 0, `${early} → ${later}`);
    // A phase that overruns its share stops short of the next one instead of claiming it.
    assert.ok(tracker.fraction(s(60)) < 0.1);
    tracker.line({ kind: 'phase', phase: 2, text: 'exporting 135 M parameters', parameters: 135e6 }, s(61));
    assert.ok(tracker.fraction(s(61)) >= 0.3);
    assert.match(tracker.message(s(61)), /^checkpoint-63 · exporting the graph \(3\/5\) · /);
    // An older phase line (or an equal one) does not move it back.
    tracker.line({ kind: 'phase', phase: 1, text: 'loading' }, s(62));
    assert.ok(tracker.fraction(s(62)) >= 0.3);
    tracker.line({ kind: 'phase', phase: 3, text: 'validating' }, s(70));
    tracker.line({ kind: 'detail', text: 'validated 2/3 prompts', fraction: 2 / 3 }, s(71));
    assert.ok(Math.abs(tracker.fraction(s(71)) - (0.7 + 0.2 * (2 / 3))) < 1e-9);
    const measured = tracker.finishJob(s(80));
    assert.deepEqual(measured, { seconds: 80, phaseSeconds: [61, 0, 9, 10, 0], parameters: 135e6 });
  });

  it('says the time left from the estimate, and when it is taking longer', () => {
    const tracker = new ExportTracker(
      [
        { label: 'base model', estimate },
        { label: 'checkpoint-63', estimate },
      ],
      t0,
    );
    assert.equal(tracker.totalEstimate, 200);
    tracker.startJob(0, t0);
    assert.equal(tracker.message(t0), 'base model (1/2) · starting Python (1/5) · about 3 min 20 s left');
    tracker.startJob(1, s(100));
    assert.match(
      tracker.message(s(100)),
      /^checkpoint-63 \(2\/2\) · starting Python \(1\/5\) · about 1 min 40 s left$/,
    );
    assert.match(tracker.message(s(300)), /taking longer than the 3 min 20 s estimated$/);
  });

  it('without an estimate it still moves, and shows no time left', () => {
    const tracker = new ExportTracker([{ label: 'base model', estimate: undefined }], t0);
    tracker.startJob(0, t0);
    assert.equal(tracker.totalEstimate, undefined);
    assert.ok(tracker.fraction(s(30)) > tracker.fraction(s(1)) - 1e-12 && tracker.fraction(s(30)) > 0);
    assert.equal(tracker.message(s(30)), 'base model · starting Python (1/5)');
  });
});
