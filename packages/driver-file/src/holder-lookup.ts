import { Observable } from 'rxjs';
import { toBackendError } from './errors.js';
import { type HolderState, holderState } from './holder-record.js';
import type { KeyFiles } from './key-files.js';
import type { SessionEnv } from './session-env.js';

/** How many times to look again (1 ms apart) while a new holder finishes writing its record. */
const PUBLISH_TRIES = 50;

/**
 * Who holds a key now. A leader seat's new holder keeps byte 1 while it
 * writes its record (a few microseconds, unless it is stopped right there):
 * meanwhile this looks again, through the scheduler, a bounded number of
 * times, and then answers `publishing`.
 */
export function lookUpHolder(env: SessionEnv, files: KeyFiles): Observable<HolderState> {
  return new Observable<HolderState>((subscriber) => {
    let tries = 0;
    const look = (): void => {
      let state: HolderState;
      try {
        const fd = files.take();
        try {
          state = holderState(env.addon, fd, files.fence());
        } finally {
          files.give(fd);
        }
      } catch (error) {
        subscriber.error(toBackendError(error));
        return;
      }
      if (state.kind === 'publishing' && ++tries < PUBLISH_TRIES) {
        subscriber.add(env.scheduler.schedule(look, 1));
        return;
      }
      subscriber.next(state);
      subscriber.complete();
    };
    look();
  });
}
