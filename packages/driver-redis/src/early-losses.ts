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
 */
export class EarlyLosses {
  private readonly scopes = new Map<string, { grants: number; lost: Set<string> | undefined }>();

  /** A grant on `scope` (a lock or group key) is on its way; call `done(scope)` once its reply is handled. */
  expect(scope: string): void {
    const entry = this.scopes.get(scope);
    if (entry) entry.grants++;
    else this.scopes.set(scope, { grants: 1, lost: undefined });
  }

  /** The grant `expect(scope)` announced has been handled (once per `expect`). */
  done(scope: string): void {
    const entry = this.scopes.get(scope);
    if (entry && --entry.grants === 0) this.scopes.delete(scope);
  }

  /** The hold `id` (a token) on `scope` was announced lost, and no hold of this session is it (yet). */
  note(scope: string, id: string): void {
    const entry = this.scopes.get(scope);
    if (!entry) return;
    entry.lost ??= new Set();
    entry.lost.add(id);
  }

  /** Whether the hold `id` just granted on `scope` was announced lost already (then forgotten). */
  take(scope: string, id: string): boolean {
    return this.scopes.get(scope)?.lost?.delete(id) ?? false;
  }
}
