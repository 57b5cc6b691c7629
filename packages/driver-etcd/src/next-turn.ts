import type { SchedulerLike } from 'rxjs';

/**
 * Work that touches gRPC streams is run from a task of its own, never
 * inside a promise continuation. Continuations may run inside node's HTTP/2
 * stream-close callback, and resetting another stream of the same session
 * from there sends node 20's HTTP/2 layer into an endless loop that fills
 * memory (seen closing several coordinators at once).
 */
export function nextTurn(scheduler: SchedulerLike): Promise<void> {
  return new Promise((resolve) => scheduler.schedule(() => resolve(), 0));
}

interface EndableStream {
  on(event: 'error', listener: (error: Error) => void): unknown;
  end(): void;
  cancel(): void;
}

/**
 * Ends a stream, in a task of its own (see nextTurn). Half-closed first:
 * etcd3 blames the host for errors on a stream that is still writable.
 */
export function endSoon(stream: EndableStream, scheduler: SchedulerLike): void {
  stream.on('error', () => undefined);
  scheduler.schedule(() => {
    stream.end();
    stream.cancel();
  }, 0);
}
