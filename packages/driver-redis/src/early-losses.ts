import { type LinkedEntry, LinkedSet } from '@tooz/core/driver';

/** A grant on its way: its scope, and where it stands among the grants sent. */
class Grant {
  constructor(
    readonly scope: string,
    readonly seq: number,
  ) {}
}

/** Tokens announced lost on one scope, and the grant sequence when the last one came. */
class Noted {
  readonly ids = new Set<string>();
  seq = 0;
}

/**
 * Losses the server announced for a hold whose grant is still on its way.
 *
 * A break (or a prune) that runs on the server right after an acquire (or a
 * join) is published on the holder's inbox right behind the grant's reply.
 * When both arrive in one read, ioredis emits the push synchronously while
 * the reply's callbacks wait for the next microtask: the push finds no hold
 * to tell, and without this it would be dropped (the hold then lives on
 * until a refresh finds its key gone). Such a loss is kept here, but only
 * while a grant on the same key is in flight, so nothing accumulates.
 *
 * Every acquire announces its grant here, so grants in flight are a
 * LinkedSet, not a Map keyed by scope (see LinkedSet for what a Map written
 * on every cycle costs). A loss is rare: noting one scans the grants in
 * flight, and notes are dropped once every grant that was in flight when
 * they came has been handled.
 */
export class EarlyLosses {
  private readonly grants = new LinkedSet<Grant>();
  private sent = 0;
  private readonly noted = new Map<string, Noted>();

  /** A grant on `scope` (a lock or group key) is on its way; pass the result to `done` once its reply is handled. */
  expect(scope: string): LinkedEntry<Grant> {
    return this.grants.add(new Grant(scope, this.sent++));
  }

  /** The grant `expect` announced has been handled (once per `expect`). */
  done(grant: LinkedEntry<Grant>): void {
    this.grants.delete(grant);
    if (this.noted.size > 0) this.forgetHandled();
  }

  /** The hold `id` (a token) on `scope` was announced lost, and no hold of this session is it (yet). */
  note(scope: string, id: string): void {
    if (!this.inFlight(scope)) return;
    let noted = this.noted.get(scope);
    if (!noted) {
      noted = new Noted();
      this.noted.set(scope, noted);
    }
    noted.seq = this.sent;
    noted.ids.add(id);
  }

  /** Whether the hold `id` just granted on `scope` was announced lost already (then forgotten). */
  take(scope: string, id: string): boolean {
    return this.noted.get(scope)?.ids.delete(id) ?? false;
  }

  private inFlight(scope: string): boolean {
    for (const grant of this.grants) if (grant.scope === scope) return true;
    return false;
  }

  /** Notes that no grant still in flight was sent before: no grant can take them any more. */
  private forgetHandled(): void {
    const oldest = this.grants[Symbol.iterator]().next();
    for (const [scope, noted] of this.noted) {
      if (oldest.done || oldest.value.seq >= noted.seq || noted.ids.size === 0) this.noted.delete(scope);
    }
  }
}
