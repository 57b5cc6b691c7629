import { expect } from 'vitest';
import { firstLine, holdUntilStopped, readLines } from './commands.js';
import { startTooz } from './tooz.js';
import { waitUntil } from '@tooz/testing';

/**
 * Holds `name` under `tooz lock`, takes it away on the server with `takeAway`,
 * and checks what the issue asks: the command got SIGTERM and tooz exited 4.
 */
export async function expectStoppedOnLoss(
  url: string,
  name: string,
  ready: string,
  takeAway: () => Promise<void>,
  args: readonly string[] = [],
): Promise<void> {
  const holder = startTooz(url, [...args, 'lock', name, '--', ...holdUntilStopped(ready)]);
  await firstLine(ready);
  await takeAway();
  const result = await holder.result();
  expect(result.code).toBe(4);
  expect(result.stderr).toContain(`Lock "${name}" was lost`);
  // The command was told by SIGTERM (its trap wrote TERM) before tooz exited.
  await waitUntil(() => readLines(ready).includes('TERM'), 5_000, 'the command saw SIGTERM');
}
