import type {
  DriverSession,
  EncodedCapabilities,
  GroupBackend,
  GroupChange,
  LockBackend,
  LockChange,
  LockKey,
  SessionSignal,
  TryAcquireResult,
} from '@tooz/core/driver';
import { EMPTY, filter, map, merge, type Observable, Subject } from 'rxjs';
import type { MemoryMemberHandle } from './group-store.js';
import { lockKeyOf, type MemoryLockHandle } from './lock-store.js';
import type { MemoryServer } from './memory-server.js';
import { Wire } from './request.js';

/** One coordinator's connection to a MemoryServer: the SPI, over a Wire that faults can suspend. */
export class MemorySession implements DriverSession<MemoryLockHandle, MemoryMemberHandle> {
  readonly signals$ = new Subject<SessionSignal>();
  readonly locks: LockBackend<MemoryLockHandle>;
  readonly groups: GroupBackend<MemoryMemberHandle>;
  private readonly wire: Wire;
  private closed = false;
  /** After a suspension, watchers may have missed changes: they are told to re-read. */
  private readonly resumed = new Subject<void>();

  constructor(
    private readonly server: MemoryServer,
    readonly memberId: string,
    private sessionId: number,
    private readonly push = true,
  ) {
    this.wire = new Wire(server.scheduler, () => server.latency);
    this.locks = this.lockBackend();
    this.groups = this.groupBackend();
  }

  get id(): number {
    return this.sessionId;
  }

  renew(sessionId: number): void {
    this.sessionId = sessionId;
    this.signals$.next('lost');
    if (!this.wire.isSuspended) this.signals$.next('reconnected');
  }

  suspend(): void {
    if (this.wire.isSuspended) return;
    this.wire.suspend();
    this.signals$.next('suspended');
  }

  resume(): void {
    if (!this.wire.isSuspended) return;
    this.signals$.next('reconnected');
    this.wire.resume();
    this.resumed.next();
  }

  /** A push stream as this client receives it: nothing arrives while it is cut off, nothing at all on a poll backend. */
  private delivered<T>(topic: Observable<T>, resync: T): Observable<T> {
    if (!this.push) return EMPTY;
    return merge(topic.pipe(filter(() => !this.wire.isSuspended)), this.resumed.pipe(map(() => resync)));
  }

  close(): Observable<void> {
    return this.wire.request(() => {
      this.closed = true;
      this.server.forget(this);
      this.signals$.complete();
    });
  }

  private call<T>(operation: () => T): Observable<T> {
    return this.wire.request(() => {
      if (this.closed) throw new Error('memory session is closed');
      return operation();
    });
  }

  /** On a poll backend a holder learns of a loss at its next refresh: no push on the handle. */
  private withoutPush(result: TryAcquireResult<MemoryLockHandle>): TryAcquireResult<MemoryLockHandle> {
    if (this.push || !result.acquired) return result;
    const { lost$: _pushed, ...handle } = result.handle;
    return { acquired: true, handle };
  }

  private lockBackend(): LockBackend<MemoryLockHandle> {
    const { server } = this;
    return {
      tryAcquire: (key, { ttl }) =>
        this.call(() => this.withoutPush(server.locks.tryAcquire(key, ttl, this.sessionId, this.memberId))),
      release: (key, handle) => this.call(() => server.locks.release(key, handle)),
      refresh: (key, handle, { ttl }) => this.call(() => server.locks.refresh(key, handle, ttl)),
      holder: (key) => this.call(() => server.locks.holder(key)),
      forceRelease: (key) => this.call(() => server.locks.forceRelease(key)),
      changes: (key: LockKey): Observable<LockChange> =>
        this.delivered<LockChange>(server.state.lockTopic(lockKeyOf(key)), { type: 'resync' }),
    };
  }

  private groupBackend(): GroupBackend<MemoryMemberHandle> {
    const { server, memberId } = this;
    return {
      create: (group) => this.call(() => server.groups.create(group)),
      delete: (group) => this.call(() => server.groups.delete(group)),
      list: () => this.call(() => server.groups.list()),
      join: (group, capabilities: EncodedCapabilities, { ttl }) =>
        this.call((): MemoryMemberHandle => {
          const handle = server.groups.join(group, memberId, capabilities, ttl, this.sessionId);
          return this.push ? handle : { handleId: handle.handleId };
        }),
      leave: (group, handle) => this.call(() => server.groups.leave(group, memberId, handle)),
      refresh: (group, handle, { ttl }) => this.call(() => server.groups.refresh(group, memberId, handle, ttl)),
      update: (group, handle, capabilities) =>
        this.call(() => server.groups.update(group, memberId, handle, capabilities)),
      members: (group) =>
        this.call(() => server.groups.members(group)).pipe(
          map((members) => members as ReadonlyMap<string, EncodedCapabilities>),
        ),
      watch: (group): Observable<GroupChange> =>
        this.delivered<GroupChange>(server.state.groupTopic(group), { type: 'resync' }),
    };
  }
}
