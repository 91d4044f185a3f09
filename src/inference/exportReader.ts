/**
 * Reads and checks an ONNX export folder (what `python -m medqa_trainer export-onnx` writes) before anything is
 * loaded into onnxruntime, so a broken export fails with a message naming the file instead of a native error.
 * No vscode import.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as v from 'valibot';
import { issueText } from '../protocol/trainer/issues';
import {
  ONNX_EXPORT_FORMAT,
  ONNX_EXPORT_VERSION,
  onnxManifestSchema,
  type OnnxManifest,
} from '../protocol/trainer/onnxManifest';

export const EXPORT_MANIFEST = 'medqa-onnx.json';
export const MODEL_FILE = 'onnx/model.onnx';
/** Architectures whose exports the engine has been checked on (greedy ids equal to Python's). */
export const SUPPORTED_MODEL_TYPES = ['qwen3', 'llama'] as const;
const REQUIRED_FILES = [MODEL_FILE, 'config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** An export that cannot be used; `file` is the file at fault (absolute), when one is. */
export class ExportError extends Error {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

export interface ExportInfo {
  dir: string;
  manifest: OnnxManifest;
  modelType: (typeof SUPPORTED_MODEL_TYPES)[number];
  /** Token ids that end an answer: config.json's and generation_config.json's eos ids (the end-of-turn token is
   * added by the prompt builder, which knows the chat template). */
  eosTokenIds: number[];
}

interface TokenizerShape {
  model?: { vocab?: Record<string, number> | [string, number][] };
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new ExportError(`${what} is missing: ${file}`, file);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ExportError(`${file} is not valid JSON (${(error as Error).message})`, file);
  }
}

function idList(value: unknown): number[] {
  if (typeof value === 'number' && Number.isInteger(value)) return [value];
  if (Array.isArray(value)) return value.filter((id): id is number => Number.isInteger(id));
  return [];
}

function parseManifest(raw: unknown, file: string): OnnxManifest {
  const record = (raw ?? {}) as Record<string, unknown>;
  if (record.format !== ONNX_EXPORT_FORMAT) {
    throw new ExportError(
      `${file} is not a MedQA ONNX export manifest (format is not "${ONNX_EXPORT_FORMAT}")`,
      file,
    );
  }
  if (record.version !== ONNX_EXPORT_VERSION) {
    throw new ExportError(
      `${file} has version ${String(record.version)}; this MedQA Studio reads version ${ONNX_EXPORT_VERSION} (export the model again, or update the extension)`,
      file,
    );
  }
  const result = v.safeParse(onnxManifestSchema, raw);
  if (!result.success) throw new ExportError(`${file}: ${issueText(result.issues[0])}`, file);
  return result.output;
}

/** Every file the manifest lists exists with its listed size; the files the engine needs are listed. */
async function checkFiles(dir: string, manifest: OnnxManifest, manifestFile: string): Promise<void> {
  for (const required of REQUIRED_FILES) {
    if (!(required in manifest.files)) {
      throw new ExportError(
        `${manifestFile} does not list ${required}; the export is incomplete`,
        manifestFile,
      );
    }
  }
  // Compared as real paths: a listed file that is a link to one outside the folder (a tokenizer.json pointing
  // elsewhere) is as much outside as "../x", though its path string is inside.
  const realDir = await fs.realpath(dir);
  for (const [relative, entry] of Object.entries(manifest.files)) {
    const file = path.resolve(dir, relative);
    if (!file.startsWith(path.resolve(dir) + path.sep)) {
      throw new ExportError(`${manifestFile} lists a file outside the export: ${relative}`, manifestFile);
    }
    const real = await fs.realpath(file).catch(() => undefined);
    if (real !== undefined && !real.startsWith(realDir + path.sep)) {
      throw new ExportError(
        `${file} is a link to a file outside the export (${real}); an export holds its own files: export again`,
        file,
      );
    }
    const stat = await fs.stat(file).catch(() => undefined);
    if (!stat?.isFile()) throw new ExportError(`the export is missing ${relative}: ${file}`, file);
    if (stat.size !== entry.bytes) {
      throw new ExportError(
        `${file} has ${stat.size} bytes but ${EXPORT_MANIFEST} says ${entry.bytes}: the export was changed or cut short; export again`,
        file,
      );
    }
  }
}

function tokenizerIds(json: TokenizerShape): { maxId: number; special: Map<number, string> } {
  const vocab = json.model?.vocab;
  let maxId = -1;
  if (Array.isArray(vocab))
    maxId = vocab.length - 1; // unigram: [piece, score][]
  else if (vocab) for (const id of Object.values(vocab)) maxId = Math.max(maxId, id);
  const special = new Map<number, string>();
  for (const token of json.added_tokens ?? []) {
    maxId = Math.max(maxId, token.id);
    if (token.special) special.set(token.id, token.content);
  }
  return { maxId, special };
}

/** The tokenizer fits the model: no id beyond the embedding, and the model's bos/eos ids are its special tokens. */
function checkTokenizerMatchesModel(
  tokenizerFile: string,
  tokenizer: TokenizerShape,
  config: Record<string, unknown>,
  eosIds: number[],
): void {
  const { maxId, special } = tokenizerIds(tokenizer);
  const vocabSize = config.vocab_size;
  if (typeof vocabSize === 'number' && maxId >= vocabSize) {
    throw new ExportError(
      `${tokenizerFile} does not belong to this model: it has token ids up to ${maxId} but config.json's vocab_size is ${vocabSize}`,
      tokenizerFile,
    );
  }
  for (const id of [...idList(config.bos_token_id), ...eosIds]) {
    if (!special.has(id)) {
      throw new ExportError(
        `${tokenizerFile} does not belong to this model: the model's bos/eos token id ${id} is not one of its special tokens`,
        tokenizerFile,
      );
    }
  }
}

/** Reads `<dir>/medqa-onnx.json` and checks the folder against it (sizes only; loading adds `verifyExport`). */
export async function readExport(dir: string): Promise<ExportInfo> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new ExportError(`the ONNX export folder does not exist: ${dir}`, dir);
  const manifestFile = path.join(dir, EXPORT_MANIFEST);
  const manifest = parseManifest(
    await readJson(manifestFile, `${EXPORT_MANIFEST} (not an ONNX export made by export-onnx?)`),
    manifestFile,
  );
  const modelType = SUPPORTED_MODEL_TYPES.find((type) => type === manifest.model_type);
  if (!modelType) {
    throw new ExportError(
      `${manifestFile}: model_type "${manifest.model_type}" is not supported by the in-editor engine (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`,
      manifestFile,
    );
  }
  await checkFiles(dir, manifest, manifestFile);
  const config = (await readJson(path.join(dir, 'config.json'), 'config.json')) as Record<string, unknown>;
  const generationFile = path.join(dir, 'generation_config.json');
  const generation = (
    'generation_config.json' in manifest.files ? await readJson(generationFile, 'generation_config.json') : {}
  ) as Record<string, unknown>;
  const eosTokenIds = [...new Set([...idList(config.eos_token_id), ...idList(generation.eos_token_id)])];
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  const tokenizer = (await readJson(tokenizerFile, 'tokenizer.json')) as TokenizerShape;
  checkTokenizerMatchesModel(tokenizerFile, tokenizer, config, eosTokenIds);
  return { dir, manifest, modelType, eosTokenIds };
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Hashes every listed file against the manifest's sha256 (about 3 s for 500 MB on a loaded 2-core machine). */
export async function verifyChecksums(info: ExportInfo): Promise<void> {
  for (const [relative, entry] of Object.entries(info.manifest.files)) {
    const file = path.resolve(info.dir, relative);
    const actual = await sha256Of(file);
    if (actual !== entry.sha256) {
      throw new ExportError(
        `${file} does not match its sha256 in ${EXPORT_MANIFEST}: the file was changed after the export; export again`,
        file,
      );
    }
  }
}

/** Exports whose files were hashed and matched, by what identifies each file's content on disk. */
const verified = new Set<string>();

/** Real path, size, modification time and inode of every listed file, and the checksums they must match. */
async function contentKey(info: ExportInfo): Promise<string> {
  const parts: string[] = [];
  for (const [relative, entry] of Object.entries(info.manifest.files)) {
    const file = path.resolve(info.dir, relative);
    const stat = await fs.stat(file);
    parts.push(`${await fs.realpath(file)}:${stat.size}:${stat.mtimeMs}:${stat.ino}:${entry.sha256}`);
  }
  return parts.join('|');
}

/**
 * verifyChecksums, once per export content: a load after the first costs a stat per file. Any change to a file
 * (a rewrite, a copy over it, a touch) changes its key and the export is hashed again.
 */
export async function verifyExport(info: ExportInfo): Promise<void> {
  const key = await contentKey(info);
  if (verified.has(key)) return;
  await verifyChecksums(info);
  verified.add(key);
}
