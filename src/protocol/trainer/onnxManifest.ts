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
});

export type OnnxManifest = v.InferOutput<typeof onnxManifestSchema>;
