import { setTimeout as sleep } from 'node:timers/promises';

/** A protocol-level check: resolves true when the server really answers, false or throws when not yet. */
export type ReadinessProbe = () => Promise<boolean>;

export interface WaitOptions {
  /** What is being waited for, for the error message. */
  readonly what: string;
  /** Upper bound; servers here start in seconds, the bound is for a machine under heavy load. */
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Resolves if the process exits while we wait: no point waiting any longer then. */
  readonly exited?: Promise<unknown>;
  /** Extra context for a failure (usually the tail of the server's log). */
  readonly describeFailure?: () => Promise<string>;
}

export const DEFAULT_READY_TIMEOUT_MS = 90_000;

/** Polls the probe until it succeeds; fails when the process exits or the bound passes. */
export async function waitUntilReady(probe: ReadinessProbe, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  let exited = false;
  void options.exited?.then(() => {
    exited = true;
  });
  let lastError = 'never answered';
  let interval = options.intervalMs ?? 25;
  for (;;) {
    if (exited) break;
    try {
      if (await probe()) return;
      lastError = 'answered, but not ready yet';
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (exited || Date.now() >= deadline) break;
    await sleep(interval);
    // Back off gently: quick for fast servers, quiet for slow ones.
    interval = Math.min(interval * 1.5, 250);
  }
  const why = exited ? 'the process exited' : `not ready after ${options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS} ms`;
  const context = options.describeFailure ? `\n${await options.describeFailure()}` : '';
  throw new Error(`${options.what}: ${why} (last check: ${lastError})${context}`);
}
