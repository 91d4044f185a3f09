import * as v from 'valibot';

/**
 * Checks a message from a webview against its panel's schema: the value when it matches, else an Error naming
 * the first problem and where it is (for the log; the message is dropped).
 */
export function parseWith<T>(
  schema: v.GenericSchema<unknown, T>,
  message: unknown,
  panel: string,
): T | Error {
  const result = v.safeParse(schema, message);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const where = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  return new Error(`${panel}: rejected a message (${where ? `${where}: ` : ''}${issue.message})`);
}
