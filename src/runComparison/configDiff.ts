/**
 * The config diff of the run comparison: each run's config (from `run_started`) flattened to dotted keys, and the
 * keys whose values are not the same in every run. Pure: no Node or VS Code imports (the webview shares it).
 */

/** Keys that name the run itself rather than how it was trained; they differ by construction. */
export const RUN_IDENTITY_KEYS: readonly string[] = ['output_dir', 'run_id'];

/**
 * Keys read together: when one of them differs, all of them are shown. A RAG run beside a closed-book one differs
 * in `retrieval_index`; its k and source budget say how it was grounded even when they are the defaults.
 */
export const KEY_GROUPS: readonly (readonly string[])[] = [
  ['retrieval_index', 'retrieval_k', 'retrieval_context_tokens'],
];

/**
 * `{lora: {r: 16, alpha: 32}}` → `{'lora.r': 16, 'lora.alpha': 32}`. Arrays are values (not flattened), and an
 * empty object is kept as one value so that `{}` vs missing still shows.
 */
export function flattenConfig(
  config: Readonly<Record<string, unknown>>,
  prefix = '',
): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const dotted = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value) && Object.keys(value).length > 0)
      Object.assign(flat, flattenConfig(value, dotted));
    else flat[dotted] = value;
  }
  return flat;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A config value as the table shows it: `null`, `true`, `0.0002`, `q_proj, v_proj`, `{}`. */
export function configText(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => configText(item)).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Compares values by their JSON, so `[1, 2]` equals `[1, 2]`, and 1 and 1.0 (the same number) are equal. */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

export interface ConfigDiff {
  /** Every key any run has, sorted. */
  all: string[];
  /** Keys whose value differs between the runs that have a config, or that some of them lack; sorted. */
  differing: string[];
  /** Per run (same order as the input): dotted key → display text; keys a run lacks are absent. */
  values: Record<string, string>[];
}

/**
 * Diffs the configs of several runs. A run without any config yet (its trainer has not reported) takes no part
 * in deciding what differs, so one starting run does not turn every field into a difference.
 */
export function diffConfigs(
  configs: readonly (Readonly<Record<string, unknown>> | undefined)[],
  ignore: readonly string[] = RUN_IDENTITY_KEYS,
): ConfigDiff {
  const flat = configs.map((config) => (config ? flattenConfig(config) : undefined));
  const keys = new Set<string>();
  for (const run of flat) for (const key of Object.keys(run ?? {})) if (!ignore.includes(key)) keys.add(key);
  const all = [...keys].sort((a, b) => a.localeCompare(b));
  const reported = flat.filter((run): run is Record<string, unknown> => run !== undefined);
  const differs = (key: string) => {
    if (reported.length < 2) return false;
    const first = reported[0];
    return reported.some(
      (run) => key in run !== key in first || (key in run && !sameValue(run[key], first[key])),
    );
  };
  const differing = all.filter(
    (key) => differs(key) || KEY_GROUPS.some((group) => group.includes(key) && group.some(differs)),
  );
  const values = flat.map((run) => {
    const text: Record<string, string> = {};
    for (const key of all) if (run && key in run) text[key] = configText(run[key]);
    return text;
  });
  return { all, differing, values };
}
