import * as vscode from 'vscode';
import type { QuantizationScheme } from '../../protocol/trainer/onnxManifest';
import type { ExportJob } from './exportOnnx';

export type ExportPrecision = 'none' | QuantizationScheme;

interface PrecisionItem extends vscode.QuickPickItem {
  precision: ExportPrecision;
}

// Sizes and drift measured on SmolLM2-135M (README, "Quantised exports"); the trade-off holds for other models.
const ITEMS: PrecisionItem[] = [
  {
    precision: 'none',
    label: 'fp32',
    description: 'full precision · largest · the reference',
    detail: 'Answers token for token as PyTorch does. SmolLM2-135M: 543 MB.',
  },
  {
    precision: 'int8',
    label: 'int8',
    description: '8-bit weights · about half the size · closest to fp32',
    detail:
      'MatMulNBits, weight-only; checked against the fp32 export by token agreement. SmolLM2-135M: 266 MB.',
  },
  {
    precision: 'int4',
    label: 'int4',
    description: '4-bit weights · smallest, fastest · answers drift',
    detail:
      'MatMulNBits, weight-only. SmolLM2-135M: 202 MB, token F1 2.5 points below fp32 on 100 MedQuAD questions.',
  },
];

/** The export's precision: given by the caller (tests, the playground), else the user's pick; undefined: backed out. */
export async function pickPrecision(
  given: ExportPrecision | undefined,
): Promise<ExportPrecision | undefined> {
  if (given) return given;
  const picked = await vscode.window.showQuickPick(ITEMS, {
    title: 'Export to ONNX: weights',
    placeHolder: 'fp32 is exact; int8 and int4 are smaller and faster, and answer a little differently',
  });
  return picked?.precision;
}

/** The job that quantises an fp32 export (made before it in the same plan, or already there). */
export function quantizeJob(fp32: ExportJob, precision: QuantizationScheme, out: string): ExportJob {
  return {
    label: `${fp32.label} (${precision})`,
    model: fp32.model,
    adapter: fp32.adapter,
    out,
    quantize: { precision, fromExport: fp32.out },
  };
}
