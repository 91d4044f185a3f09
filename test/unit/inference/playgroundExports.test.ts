import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  adapterExportDir,
  baseExportDir,
  baseExportOf,
  discoverExports,
  exportLabel,
  exportsOfCheckpoint,
  modelKey,
  quantizedDir,
  safeName,
  summaryOf,
} from '../../../src/inference/exportIndex';

/** A medqa-onnx.json as export-onnx writes it (the fields the index reads, plus files). */
function manifest(model: string, adapter: string | null, extra: Record<string, unknown> = {}) {
  return {
    format: 'medqa-onnx-export',
    version: 1,
    model,
    model_type: 'qwen3',
    adapter,
    step: adapter ? 3 : null,
    export: { opset: 17 },
    files: {
      'onnx/model.onnx': { sha256: 'a'.repeat(64), bytes: 1_000_000 },
      'config.json': { sha256: 'b'.repeat(64), bytes: 500 },
    },
    validation: {},
    created_at: '2026-11-29T12:00:00Z',
    ...extra,
  };
}

function writeExport(dir: string, value: unknown): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'medqa-onnx.json'), JSON.stringify(value));
}

describe('playground: where ONNX exports live and which checkpoint each belongs to', () => {
  let root: string;
  const model = '/tools/tiny-qwen3-abc';
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medqa-onnx-index-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('puts exports in the workspace, never in the run or the model folder', () => {
    assert.equal(
      adapterExportDir(root, 'tiny-run', 'checkpoint-3'),
      path.join(root, '.medqa', 'onnx', 'tiny-run', 'checkpoint-3'),
    );
    assert.equal(baseExportDir(root, model), path.join(root, '.medqa', 'onnx', 'base', 'tiny-qwen3-abc'));
    assert.equal(modelKey('HuggingFaceTB/SmolLM2-135M-Instruct'), 'HuggingFaceTB--SmolLM2-135M-Instruct');
    // A folder name made from user text cannot climb out of .medqa/onnx/.
    assert.doesNotMatch(safeName('../../etc'), /^\.|\//);
    assert.equal(safeName(''), '_');
    assert.ok(!adapterExportDir(root, '..', '..').includes(`${path.sep}..${path.sep}`));
    const taken = baseExportDir(root, model, true);
    assert.match(path.basename(taken), /^tiny-qwen3-abc-[0-9a-f]{8}$/);
  });

  it('matches exports to checkpoints by the manifest adapter path, not by folder name', async () => {
    const checkpoint = path.join(root, '.medqa', 'runs', 'tiny-run', 'checkpoint-3');
    const other = path.join(root, '.medqa', 'runs', 'tiny-run', 'checkpoint-6');
    writeExport(
      path.join(root, '.medqa', 'onnx', 'tiny-run', 'renamed-by-hand'),
      manifest(model, checkpoint),
    );
    writeExport(path.join(root, '.medqa', 'onnx', 'tiny-run', 'checkpoint-6'), manifest(model, other));
    writeExport(path.join(root, '.medqa', 'onnx', 'base', 'tiny-qwen3-abc'), manifest(model, null));
    writeExport(
      path.join(root, '.medqa', 'onnx', 'base', 'smollm2'),
      // The exporter records a catalogue name with the folder it resolved to; either name matches.
      manifest('unused', null, { model: { given: 'HuggingFaceTB/SmolLM2', resolved: '/models/smollm2' } }),
    );
    // An export cut short (no manifest) and a foreign JSON are problems, not exports.
    mkdirSync(path.join(root, '.medqa', 'onnx', 'tiny-run', 'half-written', 'onnx'), { recursive: true });
    writeExport(path.join(root, '.medqa', 'onnx', 'tiny-run', 'foreign'), { format: 'something-else' });

    const { exports, problems } = await discoverExports(root);
    assert.equal(exports.length, 4);
    assert.deepEqual(
      problems.map((p) => [path.basename(p.dir), p.problem]),
      [
        ['foreign', 'medqa-onnx.json is not a MedQA ONNX export manifest'],
        ['half-written', 'no medqa-onnx.json (the export did not finish)'],
      ],
    );
    const mine = exportsOfCheckpoint(exports, checkpoint + path.sep);
    assert.deepEqual(
      mine.map((e) => path.basename(e.dir)),
      ['renamed-by-hand'],
    );
    assert.equal(mine[0].bytes, 1_000_500);
    assert.equal(mine[0].step, 3);
    assert.equal(path.basename(baseExportOf(exports, model, root)?.dir ?? ''), 'tiny-qwen3-abc');
    assert.equal(path.basename(baseExportOf(exports, 'HuggingFaceTB/SmolLM2')?.dir ?? ''), 'smollm2');
    assert.equal(baseExportOf(exports, '/tools/another-model'), undefined);
    assert.equal(path.basename(baseExportOf(exports, '/models/smollm2/')?.dir ?? ''), 'smollm2');
  });

  it('finds no exports in a workspace without .medqa/onnx/', async () => {
    assert.deepEqual(await discoverExports(root), { exports: [], problems: [] });
  });

  it('reads the identity fields of a manifest and says what is wrong with a bad one', () => {
    assert.equal(summaryOf('/x', { ...manifest(model, null), model: '' }), 'medqa-onnx.json names no model');
    assert.equal(
      summaryOf('/x', { ...manifest(model, null), adapter: 7 }),
      "medqa-onnx.json: 'adapter' must be a path or null",
    );
    assert.equal(summaryOf('/x', [1, 2]), 'medqa-onnx.json is not a MedQA ONNX export manifest');
    const summary = summaryOf('/x', manifest(model, '/runs/r/checkpoint-3/', { files: 'nope' }));
    assert.ok(typeof summary !== 'string');
    assert.equal(summary.adapter, path.resolve('/runs/r/checkpoint-3'));
    assert.equal(summary.bytes, 0);
  });

  it('tells quantised exports apart: "ONNX int4" beside the fp32 export, the base model of each precision', async () => {
    const checkpoint = path.join(root, '.medqa', 'runs', 'tiny-run', 'checkpoint-3');
    const fp32Dir = path.join(root, '.medqa', 'onnx', 'tiny-run', 'checkpoint-3');
    assert.equal(quantizedDir(fp32Dir, 'int4'), `${fp32Dir}-int4`);
    const quantization = (scheme: string) => ({ quantization: { scheme, bits: scheme === 'int4' ? 4 : 8 } });
    writeExport(fp32Dir, manifest(model, checkpoint, { quantization: null }));
    writeExport(
      quantizedDir(fp32Dir, 'int4'),
      manifest(model, checkpoint, { ...quantization('int4'), created_at: '2026-11-30T12:00:00Z' }),
    );
    const baseDir = path.join(root, '.medqa', 'onnx', 'base', 'tiny-qwen3-abc');
    writeExport(baseDir, manifest(model, null));
    writeExport(quantizedDir(baseDir, 'int4'), manifest(model, null, quantization('int4')));
    // A scheme this version does not know is read as fp32 would be by an older one: shown, not mislabelled.
    writeExport(
      path.join(root, '.medqa', 'onnx', 'tiny-run', 'odd'),
      manifest(model, null, quantization('int3')),
    );

    const { exports } = await discoverExports(root);
    const mine = exportsOfCheckpoint(exports, checkpoint);
    // Newest first: the int4 export was made after the fp32 one.
    assert.deepEqual(
      mine.map((e) => [path.basename(e.dir), e.quantization, exportLabel(e)]),
      [
        ['checkpoint-3-int4', 'int4', 'ONNX int4'],
        ['checkpoint-3', null, 'ONNX'],
      ],
    );
    assert.equal(baseExportOf(exports, model, root)?.dir, baseDir);
    assert.equal(baseExportOf(exports, model, root, 'int4')?.dir, `${baseDir}-int4`);
    assert.equal(baseExportOf(exports, model, root, 'int8'), undefined);
    assert.equal(exports.find((e) => path.basename(e.dir) === 'odd')?.quantization, null);
  });
});
