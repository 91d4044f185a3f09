/**
 * `medqa-onnx.json`, the manifest `python -m medqa_trainer export-onnx` writes into an ONNX export folder
 * (docs/protocol.md "ONNX export folder"), as a valibot schema. src/inference/exportReader.ts reads it with this.
 */
import * as v from 'valibot';

export const ONNX_EXPORT_FORMAT = 'medqa-onnx-export';
export const ONNX_EXPORT_VERSION = 1;

const fileEntry = v.object({
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  bytes: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

/** `--quantize`: how the weights are stored; fp32 exports have no `quantization` (or null). */
export const QUANTIZATION_SCHEMES = ['int8', 'int4'] as const;
export type QuantizationScheme = (typeof QUANTIZATION_SCHEMES)[number];

/** How the quantised graph followed the fp32 one on its own greedy answers (teacher-forced top-1 agreement). */
const agreement = v.object({
  passed: v.boolean(),
  questions: v.pipe(v.number(), v.integer(), v.minValue(1)),
  max_new_tokens: v.pipe(v.number(), v.integer(), v.minValue(1)),
  tokens: v.pipe(v.number(), v.integer(), v.minValue(0)),
  agreement: v.pipe(v.number(), v.minValue(0), v.maxValue(1)),
  min_agreement: v.pipe(v.number(), v.minValue(0), v.maxValue(1)),
  greedy_identical: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

const quantization = v.object({
  scheme: v.picklist(QUANTIZATION_SCHEMES),
  method: v.string(),
  bits: v.picklist([4, 8]),
  block_size: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1))),
  quantizer: v.string(),
  // The fp32 export it was made from: kept (its folder) or exported in the same run and not kept (null).
  reference: v.object({
    dir: v.nullable(v.string()),
    model_sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
    bytes: v.pipe(v.number(), v.integer(), v.minValue(0)),
  }),
  agreement,
});

export type OnnxQuantization = v.InferOutput<typeof quantization>;

// Not strict: a newer exporter may add fields; format and version say whether we can read it.
export const onnxManifestSchema = v.object({
  format: v.literal(ONNX_EXPORT_FORMAT),
  version: v.literal(ONNX_EXPORT_VERSION),
  // The model as given to export-onnx and the folder it resolved to (a catalogue name → its local folder).
  model: v.union([v.string(), v.object({ given: v.string(), resolved: v.string() })]),
  model_type: v.string(),
  adapter: v.nullable(v.string()),
  step: v.optional(v.nullable(v.number())),
  files: v.record(v.string(), fileEntry),
  created_at: v.optional(v.nullable(v.string())),
  quantization: v.optional(v.nullable(quantization)),
});

export type OnnxManifest = v.InferOutput<typeof onnxManifestSchema>;
