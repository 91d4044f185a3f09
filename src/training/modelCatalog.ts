import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import catalogDocument from '../../trainer/medqa_trainer/catalog.json';

/**
 * The local model catalogue (contract #4): the same `catalog.json` the trainer reads, bundled here, plus the
 * installed folders under the models directory. A folder counts as installed only when its manifest exists
 * (the trainer writes it last).
 */
export interface CatalogEntry {
  name: string;
  title: string;
  summary: string;
  architecture: string;
  parameters: number;
  license: string;
  chat_template: string;
  hub_id: string;
  source: { package: string; version: string };
}

export interface LocalModel {
  entry: CatalogEntry;
  /** The installed folder, or undefined when the model is not installed. */
  path?: string;
}

export const CATALOG: readonly CatalogEntry[] = catalogDocument.models;
export const MANIFEST_NAME = 'medqa-model.json';
export const MODELS_DIR_ENV = 'MEDQA_MODELS_DIR';
/** The reference recipe's model: offered for users with internet (a GPU trains its QLoRA fast, a CPU slowly). */
export const REFERENCE_HUB_MODEL = 'Qwen/Qwen3-0.6B';

export function catalogEntry(name: string): CatalogEntry | undefined {
  return CATALOG.find((entry) => entry.name === name);
}

/** `$MEDQA_MODELS_DIR`, else `$XDG_CACHE_HOME/medqa-studio/models`, as the trainer resolves it. */
export function modelsDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[MODELS_DIR_ENV];
  if (configured)
    return configured.startsWith('~') ? path.join(os.homedir(), configured.slice(1)) : configured;
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'medqa-studio', 'models');
}

export async function localModels(modelsDir: string): Promise<LocalModel[]> {
  return Promise.all(
    CATALOG.map(async (entry) => {
      const folder = path.join(modelsDir, entry.name);
      try {
        await fs.access(path.join(folder, MANIFEST_NAME));
        return { entry, path: folder };
      } catch {
        return { entry };
      }
    }),
  );
}

/** Written by the trainer's `make-tiny-model` (contract #4): a folder whose weights are random. */
export const RANDOM_WEIGHTS_MARKER = 'medqa-random-weights.json';

export function isRandomWeights(folder: string): boolean {
  return existsSync(path.join(folder, RANDOM_WEIGHTS_MARKER));
}

export function installCommand(name: string): string {
  return `python -m medqa_trainer models install ${name}`;
}

/** "135 M parameters · Apache-2.0" */
export function describeEntry(entry: CatalogEntry): string {
  return `${Math.round(entry.parameters / 1e6)} M parameters · ${entry.license}`;
}

/** Whether a TCP connection to the hub opens within `timeoutMs` (no request is sent). */
export function probeHub(timeoutMs = 2500, host = 'huggingface.co', port = 443): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (reachable: boolean) => {
      socket.destroy();
      resolve(reachable);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
