import { Observable, type Subscription } from 'rxjs';
import type { Capabilities } from '../capabilities.js';
import { CoordinatorClosedError } from '../errors/errors.js';
import type { MemberId } from '../ids.js';
import type { MembershipEvent } from './events.js';
import type { GroupView } from './group-view.js';

/**
 * A watch on a group that is already armed: `members` is what the group held
 * when watching started, and every change after that is an event on
 * `events$`, which keeps what arrives before it is subscribed (for its first
 * subscriber). Python tooz's `watch_join_group` gives the same guarantee by
 * reading the members before it returns.
 */
export interface GroupWatch extends Disposable {
  /** The members when the watch was armed. */
  readonly members: ReadonlyMap<MemberId, Capabilities>;
  /** Every change since `members` was read: joined, updated, left. Errors with GroupNotFoundError if the group is deleted. */
  readonly events$: Observable<MembershipEvent>;
  /** Stops watching. */
  close(): void;
}

/** Resolves once the view's first snapshot is in; the events after it wait for their first subscriber. */
export function armedWatch(view$: Observable<GroupView>): Promise<GroupWatch> {
  return new Promise<GroupWatch>((resolve, reject) => {
    let queue: MembershipEvent[] | undefined = [];
    let failure: { error: unknown } | undefined;
    let completed = false;
    let listener: { next: (e: MembershipEvent) => void; error: (e: unknown) => void; complete: () => void } | undefined;
    let armed = false;
    const deliver = (event: MembershipEvent) => (listener ? listener.next(event) : queue?.push(event));
    const events$ = new Observable<MembershipEvent>((subscriber) => {
      if (listener) {
        subscriber.error(new Error('A GroupWatch has one subscriber; share() it to have more'));
        return;
      }
      for (const event of queue ?? []) subscriber.next(event);
      queue = undefined;
      if (failure) return subscriber.error(failure.error);
      if (completed) return subscriber.complete();
      listener = {
        next: (event) => subscriber.next(event),
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      };
      return () => close();
    });
    const close = () => subscription?.unsubscribe();
    let subscription: Subscription | undefined;
    subscription = view$.subscribe({
      next: (view) => {
        if (!armed) {
          // What changed while the snapshot was read is in `members` already: events start after it.
          armed = true;
          resolve({ members: view.members, events$, close, [Symbol.dispose]: close });
          return;
        }
        for (const event of view.events) deliver(event);
      },
      error: (error: unknown) => {
        if (!armed) return reject(error);
        if (listener) listener.error(error);
        else failure = { error };
      },
      // The coordinator closed: the watch ends with it.
      complete: () => {
        if (!armed) return reject(new CoordinatorClosedError());
        if (listener) listener.complete();
        else completed = true;
      },
    });
  });
}
