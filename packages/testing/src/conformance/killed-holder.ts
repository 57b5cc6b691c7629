import { randomUUID } from 'node:crypto';
import type { Coordinator, CoreOptionsInput, MembershipEvent } from '@tooz/core';
import { filter, firstValueFrom, take, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { startPeer } from '../servers/peer/peer.js';
import { waitUntil } from '../wait-until.js';

/** What `killedHolderTests` needs from a driver's test. */
export interface KilledHolderTarget {
  /** The driver module a child process imports (its src/index.ts in the workspace). */
  readonly driver: URL;
  /** The backend URL the child connects with (its scheme is registered for `driver`). */
  readonly url: () => string;
  /** Options of the child's connect() (JSON values only), besides its member id. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** A coordinator in the test process, on the same backend. */
  connect(options?: CoreOptionsInput): Promise<Coordinator>;
  /** Hang guard for each wait, in ms (default 30 s): never a speed assertion. */
  readonly patience?: number;
}

/**
 * A holder in a process of its own that is SIGKILLed: everything it held
 * (a lock, a membership, a leader seat) must be free for the others, the
 * next token above its own, and watchers must see it leave. For drivers
 * whose liveness is the process or the session, where this is immediate.
 */
export function killedHolderTests(name: string, target: KilledHolderTarget): void {
  const patience = target.patience ?? 30_000;
  describe(`${name}: a holder process killed with SIGKILL`, () => {
    it('frees its lock, membership and seat; the next token is higher; watchers see it leave', async () => {
      const suffix = randomUUID().slice(0, 8);
      const [lock, group, child] = [`killed-lock-${suffix}`, `killed-${suffix}`, `child-${suffix}`];
      const a = await target.connect();
      try {
        await a.group(group).create();
        const peer = await startPeer({
          driver: target.driver,
          url: target.url(),
          options: { ...target.options, memberId: child },
          boundMs: patience,
        });
        try {
          await peer.lock(lock);
          const held = await peer.waitFor((e) => e.kind === 'lock' && e.name === lock && e.state === 'held', 'held');
          await peer.join(group);
          await peer.lead(group);
          await peer.waitFor((e) => e.kind === 'leadership' && e.group === group && e.leading, 'leading');
          using watch = await a.group(group).watch();
          const left = firstValueFrom(
            watch.events$.pipe(
              filter((event: MembershipEvent) => event.type === 'left' && event.memberId === child),
              take(1),
              timeout(patience),
            ),
          );
          expect(watch.members.has(child)).toBe(true);
          const candidacy = a.leadership(group).subscribe();
          const waiting = a.acquire(lock, { wait: patience });
          await peer.kill();
          const taken = await waiting;
          expect(taken.fencingToken > BigInt(held.kind === 'lock' ? held.token : '0')).toBe(true);
          await left;
          await waitUntil(() => a.leadership(group).value, patience, 'the survivor leading');
          candidacy.unsubscribe();
          await taken.release();
        } finally {
          await peer.kill();
        }
      } finally {
        await a.close();
      }
    });
  });
}
