import { type DriverContext, sleep } from '@tooz/core/driver';

/**
 * Sends `step` again in the background, after the user's backoff, until it
 * lands or `attempts` run out: for a release or a leave whose answer never
 * came. A key our session holds stays ours while the session lives, so
 * either must land; if none does, the session's end lets go of it anyway.
 */
export async function retryInBackground(
  ctx: Pick<DriverContext, 'backoff' | 'scheduler'>,
  step: () => Promise<unknown>,
  attempts = 8,
): Promise<void> {
  const backoff = ctx.backoff();
  for (let attempt = 0; attempt < attempts; attempt++) {
    await sleep(backoff.next(), ctx.scheduler);
    try {
      await step();
      return;
    } catch {
      // The next attempt waits longer.
    }
  }
}
