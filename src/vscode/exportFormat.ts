import * as vscode from 'vscode';
import type { ExportFormat } from '../util/tableText';

export interface ExportRequest {
  format: ExportFormat;
  /** Given by a caller (tests, scripts): write there without a save dialog. */
  outFile?: string;
}

/**
 * What an export command was asked for: `{ format, outFile }` from its caller, else the format the user picks
 * (each described in the export's own words). Undefined when the user dismissed the pick.
 */
export async function exportRequest(
  arg: unknown,
  descriptions: Record<ExportFormat, string>,
  title = 'Export format',
): Promise<ExportRequest | undefined> {
  const options = (arg && typeof arg === 'object' ? arg : {}) as { format?: unknown; outFile?: unknown };
  const outFile = typeof options.outFile === 'string' ? options.outFile : undefined;
  if (options.format === 'csv' || options.format === 'markdown') return { format: options.format, outFile };
  if (options.format !== undefined)
    throw new Error(`Unknown export format ${JSON.stringify(options.format)}; use "csv" or "markdown".`);
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'CSV', description: descriptions.csv, format: 'csv' as const },
      { label: 'Markdown', description: descriptions.markdown, format: 'markdown' as const },
    ],
    { title },
  );
  return picked ? { format: picked.format, outFile } : undefined;
}
