/**
 * Appends `items` to `target` one by one. `target.push(...items)` passes every item as a call argument, and
 * past ~125k arguments V8 throws "Maximum call stack size exceeded"; problem lists and histories get that long.
 * (eslint forbids spreading into push/unshift and Math.min/max: see eslint.config.mjs.)
 */
export function pushAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}
