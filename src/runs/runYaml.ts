/**
 * Reading a run's YAML: our run.yaml, or the trainer's config.yaml (contract #2). It belongs to a run, so it lives
 * with runs; training writes run.yaml (src/training/trainConfig.ts). No vscode import.
 */
import { parseDocument } from 'yaml';

/**
 * Reads a run's YAML (our run.yaml, or the trainer's config.yaml written by PyYAML, with its nested `run_info`
 * block) with the `yaml` library in YAML 1.1 mode, as PyYAML writes it. Throws a message with the line when the
 * text is not YAML or not a mapping.
 */
export function parseRunYaml(text: string): Record<string, unknown> {
  const document = parseDocument(text, { version: '1.1', uniqueKeys: false });
  const error = document.errors[0];
  if (error) {
    const line = error.linePos?.[0].line;
    throw new Error(`${line ? `line ${line}: ` : ''}${error.message.split('\n')[0]}`);
  }
  const value: unknown = document.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new Error(`expected a mapping of settings, got ${Array.isArray(value) ? 'a list' : typeof value}`);
  return value as Record<string, unknown>;
}
