/** Checks on decoding settings, shared by the engine (before a request leaves the host) and the worker. */
import type { DecodingSettings } from '../protocol/inferenceWorker';

/** Above this the playground would wait minutes on a CPU; the trainer's evaluation stops at 1024 as well. */
export const MAX_NEW_TOKENS_LIMIT = 4096;
export const MAX_TEMPERATURE = 5;

/** Thrown for settings no generation should start with; the message names the setting and the allowed range. */
export class DecodingSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodingSettingsError';
  }
}

export function checkDecodingSettings(settings: DecodingSettings): void {
  const { maxNewTokens, temperature, topP, seed } = settings;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > MAX_NEW_TOKENS_LIMIT) {
    throw new DecodingSettingsError(
      `maxNewTokens must be a whole number from 1 to ${MAX_NEW_TOKENS_LIMIT} (got ${maxNewTokens})`,
    );
  }
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > MAX_TEMPERATURE) {
    throw new DecodingSettingsError(
      `temperature must be from 0 (greedy) to ${MAX_TEMPERATURE} (got ${temperature})`,
    );
  }
  if (!Number.isFinite(topP) || topP <= 0 || topP > 1) {
    throw new DecodingSettingsError(`topP must be above 0 and at most 1 (got ${topP})`);
  }
  if (seed !== undefined && (!Number.isSafeInteger(seed) || seed < 0)) {
    throw new DecodingSettingsError(`seed must be a whole number of 0 or more (got ${seed})`);
  }
}
