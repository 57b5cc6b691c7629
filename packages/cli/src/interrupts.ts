import { Observable } from 'rxjs';

/** The signals that end tooz: Ctrl-C, a supervisor's stop, a closed terminal. */
export const ENDING_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Turns the first ending signal into an aborted `signal` (its reason is the
 * signal's name), so that each command can let go of what it holds and
 * exit in order. A second one means "now": `force` runs and tooz exits
 * without waiting for the backend to confirm the release (what was held then
 * ends with its TTL or its session).
 */
export class Interrupts implements Disposable {
  private readonly controller = new AbortController();
  private readonly handlers = new Map<NodeJS.Signals, () => void>();

  constructor(force: (signal: NodeJS.Signals) => void) {
    for (const name of ENDING_SIGNALS) {
      const handler = () => {
        if (this.controller.signal.aborted) force(name);
        else this.controller.abort(name);
      };
      this.handlers.set(name, handler);
      process.on(name, handler);
    }
  }

  /** Aborted on the first ending signal, with the signal's name as the reason. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The signal that interrupted tooz, if one did. */
  get received(): NodeJS.Signals | undefined {
    return this.controller.signal.aborted ? (this.controller.signal.reason as NodeJS.Signals) : undefined;
  }

  [Symbol.dispose](): void {
    for (const [name, handler] of this.handlers) process.off(name, handler);
    this.handlers.clear();
  }
}

/** Resolves when `signal` aborts (at once if it has). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Emits once when `signal` aborts (at once if it has): for `takeUntil`. */
export function aborted$(signal: AbortSignal): Observable<void> {
  return new Observable<void>((subscriber) => {
    const fire = () => {
      subscriber.next();
      subscriber.complete();
    };
    if (signal.aborted) return fire();
    signal.addEventListener('abort', fire, { once: true });
    return () => signal.removeEventListener('abort', fire);
  });
}
