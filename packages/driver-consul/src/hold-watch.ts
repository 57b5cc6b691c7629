import { LossSignal } from '@tooz/core/driver';
import type { Observable, Subscription } from 'rxjs';
import type { KvSnapshot } from './kv-watch.js';

/**
 * Tells a hold (a lock key or a member key held by our session) that it is
 * gone, from the shared watch of its key or prefix. It subscribes before
 * the acquire is sent, so a loss in the same instant as the grant is not
 * missed, and judges only snapshots at or past the grant's index: an older
 * one predates the hold. Key deleted, or held by another session: stolen;
 * unlocked (its session invalidated): expired.
 */
export class HoldWatch {
  private readonly loss = new LossSignal();
  private readonly subscription: Subscription;
  private last: KvSnapshot | undefined;
  private grant: { readonly key: string; readonly session: string; readonly index: number } | undefined;

  constructor(snapshots: Observable<KvSnapshot>) {
    this.subscription = snapshots.subscribe((snapshot) => {
      this.last = snapshot;
      this.judge();
    });
  }

  get lost$() {
    return this.loss.lost$;
  }

  /** The hold exists from `index` on (the ModifyIndex its acquire wrote). */
  arm(key: string, session: string, index: number): void {
    this.grant = { key, session, index };
    this.judge();
  }

  stop(): void {
    this.subscription.unsubscribe();
  }

  private judge(): void {
    const grant = this.grant;
    const last = this.last;
    if (!grant || !last || last.index < grant.index) return;
    const entry = last.entries.get(grant.key);
    if (entry?.Session === grant.session) return;
    this.stop();
    if (entry?.Session === undefined && entry) this.loss.expired('its Consul session was invalidated');
    else this.loss.stolen(entry ? `the key is held by Consul session ${entry.Session}` : 'the key was deleted');
  }
}
