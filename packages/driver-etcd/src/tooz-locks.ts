import type { LockBackend, LockHandle, LockHolder, LockKey, TryAcquireResult } from '@tooz/core';
import type { ICompare, IKeyValue, IRequestOp, ITxnResponse } from 'etcd3';
import { Observable, type Subscriber } from 'rxjs';
import { deletion$ } from './deletion.js';
import { keyRange, tombstoneOf } from './keys.js';
import { lockChanges } from './lock-changes.js';
import { ResumableWatch } from './resumable-watch.js';
import type { SessionContext } from './session-context.js';

/**
 * `lockMode: 'tooz'`: locks taken the way Python tooz's etcd3gw driver takes
 * them, so that the two exclude each other. A lock is one key,
 * `/<ns>/locks<name>` (tooz's `/tooz/locks<name>` with the default
 * namespace), created only if absent (`create_revision == 0`, tooz's own
 * compare) and attached to a lease; whoever creates it holds the lock, and
 * deleting it releases (or breaks) the lock.
 *
 * What stays as in the native mode: the key hangs on the session lease (so
 * holds live and die with the coordinator), the fencing token is the key's
 * create revision, a hold is told when its key is deleted by anyone (a
 * Python `break_`, an operator), and a waiter is woken by a watch on the key
 * (a Python holder's release or lease expiry included), not by polling.
 * What is lost: fairness. Waiters race for the key when it goes, as tooz's
 * own waiters do (they retry every second).
 *
 * Leader seats stay fair queues: Python tooz's etcd3gw driver has no election.
 */

/** One attempt at a lock's key. Its value names the attempt, so that no other attempt's key is taken for ours. */
interface Attempt {
  readonly key: Buffer;
  /** `<lease>_<n>`: names this attempt's tombstone (see abandonEntry in lock-handle.ts). */
  readonly id: string;
  readonly leaseId: string;
  /** `sdk:<id>:<member id>`. Python tooz's values are 16 random bytes (uuid4); it only compares its own. */
  readonly value: Buffer;
}

interface ToozLockHandle extends LockHandle {
  readonly attempt: Attempt;
}

const SDK_VALUE = /^sdk:[0-9a-f]+_[0-9a-f]+:/;

/**
 * Who holds a lock's key: a coordinator of this SDK by the member id in its
 * value; a Python tooz process (whose value is random) by its lease, as
 * `etcd3gw:lease=<hex>` (what `etcdctl lease timetolive` takes).
 */
export function toozHolderOf(kv: IKeyValue): string {
  const text = kv.value.toString('utf8');
  const match = SDK_VALUE.exec(text);
  if (match && Buffer.byteLength(text) === kv.value.length) return text.slice(match[0].length);
  return `etcd3gw:lease=${BigInt(kv.lease || '0').toString(16)}`;
}

/** A fresh attempt on the session lease (throws, retryably, while a lost lease is being replaced). */
function newAttempt(ctx: SessionContext, key: Buffer): Attempt {
  const lease = ctx.lease.id;
  const id = `${lease.hex}_${ctx.nextAttempt().toString(16)}`;
  return { key, id, leaseId: lease.id, value: Buffer.concat([Buffer.from(`sdk:${id}:`), ctx.memberBytes]) };
}

const valueIs = (attempt: Attempt): ICompare => ({
  key: attempt.key,
  target: 'Value',
  result: 'Equal',
  value: attempt.value,
});

const tombstone = (ctx: SessionContext, attempt: Attempt): IRequestOp => ({
  request_put: { key: tombstoneOf(ctx.layout, attempt.id), value: Buffer.alloc(0), lease: attempt.leaseId },
});

/** tooz's acquire: create the key only if it does not exist; else read who has it. */
function send(ctx: SessionContext, attempt: Attempt): Promise<ITxnResponse> {
  return ctx.rpc.txn(
    {
      compare: [
        { key: attempt.key, target: 'Create', result: 'Equal', create_revision: '0' },
        // Fails once the attempt has been abandoned (a late arrival of a timed-out request).
        { key: tombstoneOf(ctx.layout, attempt.id), target: 'Create', result: 'Equal', create_revision: '0' },
      ],
      success: [{ request_put: { key: attempt.key, value: attempt.value, lease: attempt.leaseId } }],
      failure: [{ request_range: { key: attempt.key } }],
    },
    'lock acquire',
  );
}

type Outcome =
  | { readonly held: true; readonly token: bigint; readonly confirmedAt: bigint }
  | { readonly held: false; readonly revision: bigint; readonly present: boolean };

function outcomeOf(attempt: Attempt, response: ITxnResponse): Outcome {
  const revision = BigInt(response.header.revision);
  if (response.succeeded) return { held: true, token: revision, confirmedAt: revision };
  const kv = response.responses[0]?.response_range?.kvs[0];
  // A transport-level retry of a write that did land finds its own value.
  if (kv?.value.equals(attempt.value)) return { held: true, token: BigInt(kv.create_revision), confirmedAt: revision };
  return { held: false, revision, present: kv !== undefined };
}

/** Deletes the key if this attempt wrote it (retried until done). */
function giveBack(ctx: SessionContext, attempt: Attempt): void {
  ctx.janitor.run({
    compare: [valueIs(attempt)],
    operations: [{ request_delete_range: { key: attempt.key } }],
    what: 'lock cleanup',
  });
}

/** An attempt whose answer was lost: it may have landed or still be on its way; either way it must not stay. */
function abandon(ctx: SessionContext, attempt: Attempt): void {
  ctx.janitor.run({
    compare: [valueIs(attempt)],
    operations: [tombstone(ctx, attempt), { request_delete_range: { key: attempt.key } }],
    otherwise: [tombstone(ctx, attempt)],
    what: 'lock cleanup',
  });
}

function handleOf(ctx: SessionContext, attempt: Attempt, token: bigint, confirmedAt: bigint): ToozLockHandle {
  const { key } = attempt;
  const exists = async () => {
    const response = await ctx.rpc.range({ key }, 'lock check');
    return response.kvs.some((kv) => BigInt(kv.create_revision) === token);
  };
  return { token, attempt, lost$: deletion$(ctx.hub, keyRange(key), key, confirmedAt, exists, ctx.scheduler) };
}

/**
 * A waiting acquire: try; if someone holds the key, watch it from the
 * revision at which it was seen held and try again when it is deleted.
 */
class ToozWait {
  private done = false;
  private watch: ResumableWatch | undefined;

  constructor(
    private readonly ctx: SessionContext,
    private readonly key: Buffer,
    private readonly subscriber: Subscriber<LockHandle>,
  ) {}

  attempt(): void {
    if (this.done) return;
    const { ctx } = this;
    let attempt: Attempt;
    try {
      attempt = newAttempt(ctx, this.key);
    } catch (error) {
      return this.fail(error);
    }
    send(ctx, attempt).then(
      (response) => {
        const outcome = outcomeOf(attempt, response);
        if (this.done) {
          // Given up while the attempt was on its way: what it won goes back.
          if (outcome.held) giveBack(ctx, attempt);
          return;
        }
        if (outcome.held) {
          this.finish();
          this.subscriber.next(handleOf(ctx, attempt, outcome.token, outcome.confirmedAt));
          this.subscriber.complete();
        } else if (!outcome.present) {
          // Deleted as the attempt was refused (only an abandoned attempt sees this): try again.
          this.attempt();
        } else {
          this.waitForDeletion(outcome.revision);
        }
      },
      (error: unknown) => {
        abandon(ctx, attempt);
        this.fail(error);
      },
    );
  }

  /** Unsubscribed before holding: an attempt in flight gives back what it wins. */
  cancel(): void {
    this.finish();
  }

  private waitForDeletion(seenAt: bigint): void {
    const retry = () => {
      if (this.watch !== watch) return;
      watch.close();
      this.watch = undefined;
      this.attempt();
    };
    const watch = new ResumableWatch(
      this.ctx.watches,
      { key: this.key, startRevision: seenAt + 1n, onlyDeletes: true },
      { ready: () => undefined, events: retry, reset: retry },
    );
    this.watch = watch;
  }

  private fail(error: unknown): void {
    if (this.done) return;
    this.finish();
    this.subscriber.error(error);
  }

  private finish(): void {
    this.done = true;
    this.watch?.close();
    this.watch = undefined;
  }
}

/** Locks of kind `lock` on tooz's key; leader seats on `native`, the fair queue. */
export function toozLockBackend(ctx: SessionContext, native: LockBackend): LockBackend {
  const { rpc, layout } = ctx;
  const keyOf = (key: LockKey) => layout.toozLock(key.name);

  const acquireQueued = (key: LockKey) =>
    new Observable<LockHandle>((subscriber) => {
      const wait = new ToozWait(ctx, keyOf(key), subscriber);
      wait.attempt();
      return () => wait.cancel();
    });

  const tooz = {
    async tryAcquire(key: LockKey): Promise<TryAcquireResult> {
      const attempt = newAttempt(ctx, keyOf(key));
      let response: ITxnResponse;
      try {
        response = await send(ctx, attempt);
      } catch (error) {
        abandon(ctx, attempt);
        throw error;
      }
      const outcome = outcomeOf(attempt, response);
      if (!outcome.held) return { acquired: false };
      return { acquired: true, handle: handleOf(ctx, attempt, outcome.token, outcome.confirmedAt) };
    },

    /** tooz's release: delete the key if it is still ours (tooz compares its value, as this does). */
    async release(_key: LockKey, handle: LockHandle): Promise<boolean> {
      const { attempt } = handle as ToozLockHandle;
      try {
        const response = await rpc.txn(
          { compare: [valueIs(attempt)], success: [{ request_delete_range: { key: attempt.key } }] },
          'lock release',
        );
        return response.succeeded;
      } catch (error) {
        // The session lease keeps the key alive: it must go, or the lock stays taken.
        giveBack(ctx, attempt);
        throw error;
      }
    },

    async holder(key: LockKey): Promise<LockHolder | null> {
      const response = await rpc.range({ key: keyOf(key) }, 'lock holder');
      const kv = response.kvs[0];
      return kv ? { memberId: toozHolderOf(kv), token: BigInt(kv.create_revision) } : null;
    },

    changes: (key: LockKey) => lockChanges(ctx, keyRange(keyOf(key)), toozHolderOf),

    /** tooz's `break_`: deletes the key, whoever holds it (only that hold: a new holder is not broken too). */
    async forceRelease(key: LockKey): Promise<boolean> {
      const k = keyOf(key);
      const held = (await rpc.range({ key: k, keys_only: true }, 'lock break')).kvs[0];
      if (!held) return false;
      const response = await rpc.txn(
        {
          compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: held.create_revision }],
          success: [{ request_delete_range: { key: k } }],
        },
        'lock break',
      );
      return response.succeeded;
    },
  };

  const nativeQueued = native.acquireQueued?.bind(native);
  if (!nativeQueued) throw new Error('the native lock backend queues its leader seats');
  const pick = (key: LockKey): Pick<LockBackend, 'tryAcquire' | 'release' | 'holder' | 'changes'> =>
    key.kind === 'lock' ? tooz : native;
  return {
    acquireQueued: (key, options) => (key.kind === 'lock' ? acquireQueued(key) : nativeQueued(key, options)),
    tryAcquire: (key, options) => pick(key).tryAcquire(key, options),
    release: (key, handle) => pick(key).release(key, handle),
    holder: (key) => pick(key).holder(key),
    changes: (key) => pick(key).changes(key),
    forceRelease: (key) =>
      key.kind === 'lock' ? tooz.forceRelease(key) : (native.forceRelease?.(key) ?? Promise.resolve(false)),
  };
}
