import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExportError, readExport, verifyChecksums, verifyExport } from '../../../src/inference/exportReader';
import { LoadedExport } from '../../../src/inference/generator';

/** A small export folder as export-onnx lays it out; `change` edits the files before the manifest is written. */
// The CommonJS module object, whose createReadStream the reader calls at run time (an ES import is read-only).
const fsModule = createRequire(__filename)('node:fs') as typeof import('node:fs');

function writeExport(
  root: string,
  change: {
    files?: Record<string, string | undefined>;
    manifest?: Record<string, unknown>;
  } = {},
): string {
  const dir = mkdtempSync(path.join(root, 'export-'));
  const tokenizer = {
    model: { type: 'BPE', vocab: { a: 0, b: 1, c: 2 }, merges: [] },
    added_tokens: [
      { id: 3, content: '<|endoftext|>', special: true },
      { id: 4, content: '<|im_end|>', special: true },
    ],
  };
  const files: Record<string, string | undefined> = {
    'onnx/model.onnx': 'not really a graph',
    'config.json': JSON.stringify({ model_type: 'qwen3', vocab_size: 8, eos_token_id: 4 }),
    'generation_config.json': JSON.stringify({ eos_token_id: [4, 3] }),
    'tokenizer.json': JSON.stringify(tokenizer),
    'tokenizer_config.json': JSON.stringify({ eos_token: '<|im_end|>', chat_template: '{{ messages }}' }),
    ...change.files,
  };
  const listed: Record<string, { sha256: string; bytes: number }> = {};
  for (const [relative, text] of Object.entries(files)) {
    if (text === undefined) continue;
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), text);
    listed[relative] = {
      sha256: createHash('sha256').update(text).digest('hex'),
      bytes: Buffer.byteLength(text),
    };
  }
  const manifest = {
    format: 'medqa-onnx-export',
    version: 1,
    model: { given: 'tiny', resolved: '/models/tiny' },
    model_type: 'qwen3',
    adapter: null,
    step: null,
    export: { opset: 17 },
    files: listed,
    validation: { max_abs_logit_diff: 1e-5 },
    created_at: '2026-11-29T16:00:00Z',
    ...change.manifest,
  };
  writeFileSync(path.join(dir, 'medqa-onnx.json'), JSON.stringify(manifest));
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<ExportError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ExportError, `expected an ExportError, got ${String(error)}`);
    return error;
  }
  assert.fail('the export was accepted');
}

describe('ONNX export reader', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), 'medqa-onnx-reader-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads a complete export: model type and the eos ids of config.json and generation_config.json', async () => {
    const dir = writeExport(root);
    const info = await readExport(dir);
    assert.equal(info.modelType, 'qwen3');
    assert.deepEqual(info.eosTokenIds, [4, 3]);
    assert.equal(info.manifest.adapter, null);
    await verifyChecksums(info);
  });

  it('reads a quantised export (export-onnx --quantize) and refuses a quantization block it cannot read', async () => {
    // As export-onnx --quantize int4 writes it (trainer/medqa_trainer/onnx_export.py build_quantized).
    const quantization = {
      scheme: 'int4',
      method: 'MatMulNBits (weight-only, blockwise)',
      bits: 4,
      block_size: 32,
      symmetric: true,
      quantizer: 'onnxruntime 1.31.1',
      quantized_nodes: 211,
      folded_transposes: 211,
      seconds: 7.5,
      reference: { dir: '/exports/smollm2', model_sha256: 'c'.repeat(64), bytes: 539_484_721 },
      agreement: {
        passed: true,
        measure: 'teacher-forced top-1 agreement with the fp32 graph on its own greedy answers',
        questions: 3,
        max_new_tokens: 32,
        tokens: 96,
        agreement: 0.72,
        min_agreement: 0.6,
        greedy_identical: 0,
        mean_identical_prefix: 1.3,
        runtime: 'onnxruntime (Python, CPUExecutionProvider)',
        seconds: 30.2,
      },
    };
    const info = await readExport(writeExport(root, { manifest: { quantization } }));
    assert.equal(info.manifest.quantization?.scheme, 'int4');
    assert.equal(info.manifest.quantization?.agreement.agreement, 0.72);
    assert.equal(
      (await readExport(writeExport(root, { manifest: { quantization: null } }))).manifest.quantization,
      null,
    );
    const unknown = writeExport(root, { manifest: { quantization: { ...quantization, scheme: 'int3' } } });
    assert.match((await rejection(readExport(unknown))).message, /medqa-onnx\.json: .*quantization\.scheme/);
    const noAgreement = writeExport(root, {
      manifest: { quantization: { ...quantization, agreement: undefined } },
    });
    assert.match((await rejection(readExport(noAgreement))).message, /quantization\.agreement/);
  });

  it('names onnx/model.onnx when the graph is missing', async () => {
    const dir = writeExport(root);
    unlinkSync(path.join(dir, 'onnx', 'model.onnx'));
    const error = await rejection(readExport(dir));
    assert.equal(error.file, path.join(dir, 'onnx', 'model.onnx'));
    assert.match(error.message, /missing onnx\/model\.onnx/);
  });

  it('names tokenizer.json when it is missing, or not listed in the manifest', async () => {
    const dir = writeExport(root);
    unlinkSync(path.join(dir, 'tokenizer.json'));
    assert.equal((await rejection(readExport(dir))).file, path.join(dir, 'tokenizer.json'));
    const unlisted = writeExport(root, { files: { 'tokenizer.json': undefined } });
    assert.match((await rejection(readExport(unlisted))).message, /does not list tokenizer\.json/);
  });

  it('refuses a file whose size differs from the manifest, and one whose content differs (checksums)', async () => {
    const dir = writeExport(root);
    writeFileSync(path.join(dir, 'onnx', 'model.onnx'), 'cut short');
    const error = await rejection(readExport(dir));
    assert.match(error.message, /model\.onnx has 9 bytes but medqa-onnx\.json says 18/);
    const same = writeExport(root);
    writeFileSync(path.join(same, 'onnx', 'model.onnx'), 'NOT really a graph');
    const info = await readExport(same);
    const changed = await rejection(verifyChecksums(info));
    assert.equal(changed.file, path.join(same, 'onnx', 'model.onnx'));
  });

  it("refuses a tokenizer that is not the model's: ids beyond vocab_size, or eos ids that are not its special tokens", async () => {
    const small = writeExport(root, {
      files: { 'config.json': JSON.stringify({ model_type: 'qwen3', vocab_size: 4, eos_token_id: 4 }) },
    });
    const tooBig = await rejection(readExport(small));
    assert.equal(tooBig.file, path.join(small, 'tokenizer.json'));
    assert.match(tooBig.message, /token ids up to 4 but config\.json's vocab_size is 4/);
    const otherEos = writeExport(root, {
      files: { 'config.json': JSON.stringify({ model_type: 'qwen3', vocab_size: 8, eos_token_id: 2 }) },
    });
    assert.match((await rejection(readExport(otherEos))).message, /eos token id 2 is not one of its special/);
  });

  it('refuses a model type the engine does not support, naming the supported ones', async () => {
    const dir = writeExport(root, { manifest: { model_type: 'gpt2' } });
    const error = await rejection(readExport(dir));
    assert.match(error.message, /model_type "gpt2" is not supported .* \(supported: qwen3, llama\)/);
  });

  it('says what is wrong with the manifest: missing, another format, a newer version, a bad field', async () => {
    const empty = mkdtempSync(path.join(root, 'plain-'));
    assert.match((await rejection(readExport(empty))).message, /medqa-onnx\.json .* is missing/);
    assert.match((await rejection(readExport(path.join(root, 'nowhere')))).message, /folder does not exist/);
    const other = writeExport(root, { manifest: { format: 'something-else' } });
    assert.match((await rejection(readExport(other))).message, /not a MedQA ONNX export manifest/);
    const newer = writeExport(root, { manifest: { version: 2 } });
    assert.match(
      (await rejection(readExport(newer))).message,
      /version 2; this MedQA Studio reads version 1/,
    );
    const bad = writeExport(root, { manifest: { adapter: 7 } });
    assert.match((await rejection(readExport(bad))).message, /adapter: /);
    const outside = writeExport(root);
    const manifestFile = path.join(outside, 'medqa-onnx.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { files: Record<string, unknown> };
    manifest.files['../escape.txt'] = { sha256: '0'.repeat(64), bytes: 1 };
    writeFileSync(manifestFile, JSON.stringify(manifest));
    assert.match((await rejection(readExport(outside))).message, /outside the export: \.\.\/escape\.txt/);
  });

  it('refuses a listed file that is a link to a file outside the export, though its path is inside', async () => {
    const dir = writeExport(root);
    const tokenizer = path.join(dir, 'tokenizer.json');
    const outside = path.join(root, 'elsewhere-tokenizer.json');
    writeFileSync(outside, readFileSync(tokenizer));
    unlinkSync(tokenizer);
    symlinkSync(outside, tokenizer);
    const error = await rejection(readExport(dir));
    assert.equal(error.file, tokenizer);
    assert.match(error.message, /is a link to a file outside the export/);
    // A link between files of the export stays inside it, and a linked export folder is read through its link.
    const inside = writeExport(root);
    const linked = path.join(root, 'linked-export');
    symlinkSync(inside, linked);
    assert.equal((await readExport(linked)).modelType, 'qwen3');
  });

  it('loading an export checks its checksums: a file changed after the export (same size) is refused', async () => {
    const dir = writeExport(root);
    writeFileSync(path.join(dir, 'onnx', 'model.onnx'), 'NOT really a graph');
    const error = await rejection(LoadedExport.load(dir));
    assert.equal(error.file, path.join(dir, 'onnx', 'model.onnx'));
    assert.match(error.message, /does not match its sha256 in medqa-onnx\.json/);
  });

  it('hashes an export once; a later change to a file is hashed again and refused', async () => {
    const dir = writeExport(root);
    const info = await readExport(dir);
    const streams: string[] = [];
    const original = fsModule.createReadStream;
    (fsModule as { createReadStream: unknown }).createReadStream = (file: string, ...rest: unknown[]) => {
      streams.push(path.relative(dir, file));
      return (original as (...a: unknown[]) => unknown)(file, ...rest);
    };
    try {
      await verifyExport(info);
      assert.equal(streams.length, Object.keys(info.manifest.files).length, 'every file hashed once');
      await verifyExport(await readExport(dir));
      assert.equal(streams.length, Object.keys(info.manifest.files).length, 'unchanged: not hashed again');
      writeFileSync(
        path.join(dir, 'config.json'),
        readFileSync(path.join(dir, 'config.json'), 'utf8').replace('8', '9'),
      );
      const changed = await rejection(verifyExport(await readExport(dir)));
      assert.equal(changed.file, path.join(dir, 'config.json'));
    } finally {
      (fsModule as { createReadStream: unknown }).createReadStream = original;
    }
  });
});
