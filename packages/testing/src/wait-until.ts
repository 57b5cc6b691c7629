/**
 * Polls `condition` (test side only) until it holds, failing once `bound` ms
 * have passed: a hang guard, never a timing assertion. Each evaluation counts
 * against the bound (a request stuck on a restarting server must not hang the
 * test), and one that throws counts as not yet: the last error becomes the
 * cause of the failure, so a query that never works says why.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  bound = 20_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + bound;
  let lastError: unknown;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    });
    const met = await Promise.race([
      Promise.resolve()
        .then(condition)
        .catch((error: unknown) => {
          lastError = error;
          return false;
        }),
      outOfTime,
    ]).finally(() => clearTimeout(timer));
    if (met) return;
    if (Date.now() >= deadline) {
      throw new Error(`${what} not met within ${bound} ms`, lastError === undefined ? undefined : { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
