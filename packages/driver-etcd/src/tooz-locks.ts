import type { LockBackend, LockHandle, LockHolder, LockKey, TryAcquireResult } from '@tooz/core/driver';
import type { ICompare, IKeyValue, IRequestOp, ITxnResponse } from 'etcd3';
import { Observable, type Subscriber, type Subscription } from 'rxjs';
import { deletion$ } from './deletion.js';
import { keyRange } from './keys.js';
import { lockChanges } from './lock-changes.js';
import type { EtcdContext } from './session.js';
import { resumableWatch } from './watches.js';

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
  /** `<lease>_<n>`: names this attempt's tombstone (see abandonEntry in queue-entries.ts). */
  readonly id: string;
  readonly leaseId: string;
  /** `sdk:<id>:<member id>`. Python tooz's values are 16 random bytes (uuid4); it only compares its own. */
  readonly value: Buffer;
}

/** A hold of tooz's one key. */
export interface ToozHold extends LockHandle {
  readonly mode: 'tooz';
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
function newAttempt(ctx: EtcdContext, key: Buffer): Attempt {
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

const tombstone = (ctx: EtcdContext, attempt: Attempt): IRequestOp => ({
  request_put: { key: ctx.keys.tombstone(attempt.id), value: Buffer.alloc(0), lease: attempt.leaseId },
});

/** tooz's acquire: create the key only if it does not exist; else read who has it. */
function send(ctx: EtcdContext, attempt: Attempt): Promise<ITxnResponse> {
  return ctx.rpc.txn(
    {
      compare: [
        { key: attempt.key, target: 'Create', result: 'Equal', create_revision: '0' },
        // Fails once the attempt has been abandoned (a late arrival of a timed-out request).
        { key: ctx.keys.tombstone(attempt.id), target: 'Create', result: 'Equal', create_revision: '0' },
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
function giveBack(ctx: EtcdContext, attempt: Attempt): void {
  ctx.janitor.run({
    compare: [valueIs(attempt)],
    operations: [{ request_delete_range: { key: attempt.key } }],
    what: 'lock cleanup',
  });
}

/** An attempt whose answer was lost: it may have landed or still be on its way; either way it must not stay. */
function abandon(ctx: EtcdContext, attempt: Attempt): void {
  ctx.janitor.run({
    compare: [valueIs(attempt)],
    operations: [tombstone(ctx, attempt), { request_delete_range: { key: attempt.key } }],
    otherwise: [tombstone(ctx, attempt)],
    what: 'lock cleanup',
  });
}

function holdOf(ctx: EtcdContext, attempt: Attempt, token: bigint, confirmedAt: bigint, sentAt?: number): ToozHold {
  const { key } = attempt;
  const exists = async () => {
    const response = await ctx.rpc.range({ key }, 'lock check');
    return response.kvs.some((kv) => BigInt(kv.create_revision) === token);
  };
  const lost$ = deletion$(ctx, keyRange(key), key, confirmedAt, exists);
  return { mode: 'tooz', token, attempt, lost$, ...(sentAt === undefined ? {} : { sentAt }) };
}

/**
 * A waiting acquire: try; if someone holds the key, watch it from the
 * revision at which it was seen held and try again when it is deleted.
 */
class ToozWait {
  private done = false;
  private watch: Subscription | undefined;

  constructor(
    private readonly ctx: EtcdContext,
    private readonly key: Buffer,
    private readonly subscriber: Subscriber<ToozHold>,
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
    const sentAt = ctx.scheduler.now();
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
          this.subscriber.next(holdOf(ctx, attempt, outcome.token, outcome.confirmedAt, sentAt));
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
    const target = { key: this.key, startRevision: seenAt + 1n, onlyDeletes: true };
    const watch = resumableWatch(this.ctx.stream, target).subscribe((signal) => {
      if (signal.type === 'ready' || this.watch !== watch) return;
      watch.unsubscribe();
      this.watch = undefined;
      this.attempt();
    });
    this.watch = watch;
  }

  private fail(error: unknown): void {
    if (this.done) return;
    this.finish();
    this.subscriber.error(error);
  }

  private finish(): void {
    this.done = true;
    this.watch?.unsubscribe();
    this.watch = undefined;
  }
}

/** Locks on tooz's one key (leader seats stay on the fair queue, see EtcdLocks). */
export class ToozLocks implements LockBackend<ToozHold> {
  constructor(private readonly ctx: EtcdContext) {}

  private keyOf(key: LockKey): Buffer {
    return this.ctx.keys.toozLock(key.name);
  }

  acquireQueued(key: LockKey): Observable<ToozHold> {
    return new Observable<ToozHold>((subscriber) => {
      const wait = new ToozWait(this.ctx, this.keyOf(key), subscriber);
      wait.attempt();
      return () => wait.cancel();
    });
  }

  async tryAcquire(key: LockKey): Promise<TryAcquireResult<ToozHold>> {
    const { ctx } = this;
    const attempt = newAttempt(ctx, this.keyOf(key));
    let response: ITxnResponse;
    try {
      response = await send(ctx, attempt);
    } catch (error) {
      abandon(ctx, attempt);
      throw error;
    }
    const outcome = outcomeOf(attempt, response);
    if (!outcome.held) return { acquired: false };
    return { acquired: true, handle: holdOf(ctx, attempt, outcome.token, outcome.confirmedAt) };
  }

  /** tooz's release: delete the key if it is still ours (tooz compares its value, as this does). */
  async release(_key: LockKey, { attempt }: ToozHold): Promise<boolean> {
    try {
      const response = await this.ctx.rpc.txn(
        { compare: [valueIs(attempt)], success: [{ request_delete_range: { key: attempt.key } }] },
        'lock release',
      );
      return response.succeeded;
    } catch (error) {
      // The session lease keeps the key alive: it must go, or the lock stays taken.
      giveBack(this.ctx, attempt);
      throw error;
    }
  }

  async holder(key: LockKey): Promise<LockHolder | null> {
    const response = await this.ctx.rpc.range({ key: this.keyOf(key) }, 'lock holder');
    const kv = response.kvs[0];
    return kv ? { memberId: toozHolderOf(kv), token: BigInt(kv.create_revision) } : null;
  }

  changes(key: LockKey) {
    return lockChanges(this.ctx, keyRange(this.keyOf(key)), toozHolderOf);
  }

  /** tooz's `break_`: deletes the key, whoever holds it (only that hold: a new holder is not broken too). */
  async forceRelease(key: LockKey): Promise<boolean> {
    const k = this.keyOf(key);
    const held = (await this.ctx.rpc.range({ key: k, keys_only: true }, 'lock break')).kvs[0];
    if (!held) return false;
    const response = await this.ctx.rpc.txn(
      {
        compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: held.create_revision }],
        success: [{ request_delete_range: { key: k } }],
      },
      'lock break',
    );
    return response.succeeded;
  }
}
