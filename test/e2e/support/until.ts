/** Polls `condition` every 200 ms until it holds; fails with `message` after `timeoutMs` (generous: CI is busy). */
export async function until(
  condition: () => Promise<boolean>,
  message: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
