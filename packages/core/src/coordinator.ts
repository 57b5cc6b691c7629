import { firstValueFrom, from, type Observable, ReplaySubject, type SchedulerLike, type Subscription } from 'rxjs';
import type { CapabilityDescriptor, PrimitiveName } from './descriptor.js';
import { NotSupportedError } from './errors/errors.js';
import { driversSupporting } from './connect/known-drivers.js';
import { Group } from './groups/group.js';
import type { MembershipRun } from './groups/membership-run.js';
import { validateId } from './ids.js';
import { abortable, type CallOptions } from './internal/abortable.js';
import { call } from './internal/call.js';
import type { ConnectionState } from './internal/connection-state.js';
import { ConnectionStateMachine } from './internal/connection-state.js';
import type { CoreContext, Held, Timings } from './internal/context.js';
import { LeaseKeeper } from './internal/lease-keeper.js';
import { ReconnectGate } from './internal/reconnect-gate.js';
import { LinkedSet } from './driver/linked-set.js';
import { LocalMutex } from './internal/local-mutex.js';
import { PendingWork } from './internal/pending.js';
import { RoundTrips } from './internal/round-trips.js';
import { type Stall, StallWatchdog, watchdogInterval } from './internal/stall-watchdog.js';
import { type Logger, Telemetry } from './internal/telemetry.js';
import { TimerQueue } from './internal/timer-queue.js';
import { Leadership } from './leadership/leadership.js';
import { type AsyncLockLease, acquireLease } from './locks/async-lease.js';
import type { LockLease } from './locks/lease.js';
import { type LockOptions, resolveLockOptions } from './locks/lock-options.js';
import { lockObservable } from './locks/lock-run.js';
import type { Driver, DriverSession } from './spi/driver.js';
import type { GroupBackend } from './spi/groups.js';
import type { LockBackend, LockHolder, LockKey } from './spi/locks.js';

/**
 * A lock's key: a class, not an object literal, so that V8 never pretenures
 * it (see LinkedEntry); a lock run keeps it while it lives.
 */
class NamedLock implements LockKey {
  readonly kind = 'lock';

  constructor(readonly name: string) {}
}

/** Options of `coordinator.acquire()`: the lock options and a signal to stop waiting. */
export interface AcquireOptions extends LockOptions {
  /** Cancels the wait. Has no effect once the lock is held: release it instead. */
  readonly signal?: AbortSignal;
}

/** What `coordinator.diagnose()` found: the backend, one round trip's time, server facts and warnings. */
export interface Diagnosis {
  /** The driver's name. */
  readonly driver: string;
  /** The URL or description, without credentials. */
  readonly description: string;
  /** The driver's capability descriptor. */
  readonly capabilities: CapabilityDescriptor;
  /** The connection state when diagnosed. */
  readonly state: ConnectionState;
  /** Milliseconds one backend round trip took (a read of a lock that nobody holds, or of the group list). */
  readonly roundTripMs: number;
  /** What the backend reports about itself (version, role, cluster size), by the driver's own keys. */
  readonly server: Readonly<Record<string, string | number | boolean>>;
  /** Problems found that do not stop work (a standalone redis with `waitReplicas`, an old server version). */
  readonly warnings: readonly string[];
}

/** The driver behind a coordinator. */
export interface DriverInfo<C extends CapabilityDescriptor = CapabilityDescriptor> {
  /** The driver's name (`redis`, `file`...). */
  readonly name: string;
  /** The URL or description the coordinator was opened with, without credentials. */
  readonly description: string;
  /** What the backend offers. */
  readonly capabilities: C;
}

/**
 * A member's connection to the coordination backend. Everything it hands out
 * is owned by a subscription; `close()` ends what is still held.
 */
export interface Coordinator<C extends CapabilityDescriptor = CapabilityDescriptor> extends AsyncDisposable {
  /** This coordinator's member id (`memberId` of `connect()`, or generated). */
  readonly memberId: string;
  /** The driver in use. */
  readonly driver: DriverInfo<C>;
  /** connected → suspended → reconnected | lost → ... → closed. Replays the current state. */
  readonly state$: Observable<ConnectionState>;
  /** The state at the moment of reading: the session's deadline is evaluated by the read itself. */
  readonly state: ConnectionState;
  /**
   * Event-loop stalls the coordinator measured while it held something (GC
   * pauses, SIGSTOP, synchronous work). A stall that eats a TTL hold's safety
   * margin turns it `at-risk` until a refresh sent after the stall confirms
   * it; a hold resting on a session has the session's deadline checked.
   */
  readonly stalls$: Observable<Stall>;
  /** A group by id (not created by this call). */
  group(id: string): Group;
  /** Every group that exists. */
  groups(options?: CallOptions): Promise<readonly string[]>;
  /** Leadership of a group: subscribe to stand as a candidate. The same object for the same id. */
  leadership(groupId: string): Leadership;
  /**
   * Cold: subscribing acquires (waiting up to `wait`), emits one LockLease
   * when held and stays open while held; errors with LockLostError if the
   * lock is lost, LockTimeoutError if the wait runs out. Unsubscribing
   * releases the lock, or cancels the pending acquire.
   */
  lock(name: string, options?: LockOptions): Observable<LockLease>;
  /** Promise flavour of `lock()`: `await using lease = await coordinator.acquire('x')`. */
  acquire(name: string, options?: AcquireOptions): Promise<AsyncLockLease>;
  /** Deletes whoever holds the lock (tooz's `break_`); true if something was held. */
  breakLock(name: string, options?: CallOptions): Promise<boolean>;
  /** Who holds the lock now, with the hold's fencing token; null when free. */
  lockHolder(name: string, options?: CallOptions): Promise<LockHolder | null>;
  /**
   * Checks the connection: one round trip timed, the capability descriptor,
   * and what the driver can tell about the server (version, settings that
   * risk safety). For `tooz doctor` and health endpoints.
   */
  diagnose(options?: CallOptions): Promise<Diagnosis>;
  /**
   * Releases everything still held, then disconnects. Closing is the user's
   * own act, never a loss: held locks complete once released (their
   * `signal` aborts with CoordinatorClosedError), memberships complete once
   * left, leadership emits false and completes, waits complete.
   */
  close(): Promise<void>;
}

export class CoordinatorImpl<C extends CapabilityDescriptor = CapabilityDescriptor> implements Coordinator<C> {
  readonly memberId: string;
  readonly driver: DriverInfo<C>;
  /** connected → suspended → reconnected | lost → ... → closed. Replays the current state. */
  readonly state$: Observable<ConnectionState>;
  readonly stalls$: Observable<Stall>;
  private readonly ctx: CoreContext;
  private readonly keeper: LeaseKeeper | undefined;
  private readonly groupCache = new Map<string, Group>();
  private readonly leaderships = new Map<string, Leadership>();
  private readonly joined = new Map<string, MembershipRun>();
  private readonly signals: Subscription;
  /** The session's backends, their round trips timed for telemetry. */
  private readonly lockSpi: LockBackend | undefined;
  private readonly groupSpi: GroupBackend | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  private readonly closing$ = new ReplaySubject<void>(1);

  constructor(
    driver: Driver<C>,
    session: DriverSession,
    settings: { memberId: string; scheduler: SchedulerLike; timings: Timings; openedAt?: number; logger?: Logger },
  ) {
    const connection = new ConnectionStateMachine();
    const telemetry = new Telemetry(settings.logger, driver.capabilities.name);
    const roundTrips = new RoundTrips(telemetry, settings.scheduler, settings.memberId);
    this.lockSpi = session.locks && roundTrips.locks(session.locks);
    this.groupSpi = session.groups && roundTrips.groups(session.groups);
    telemetry.emit({ kind: 'state', memberId: settings.memberId, state: 'connected' });
    connection.listen((state) => telemetry.emit({ kind: 'state', memberId: settings.memberId, state }));
    const timers = new TimerQueue(settings.scheduler);
    const { lockTtl, membershipTtl, leaderTtl } = settings.timings;
    const held = new LinkedSet<Held>();
    // One registration for every held thing: a listener per lock costs more than the rest of a short hold.
    connection.listen((state) => {
      for (const item of [...held]) item.onConnection?.(state);
    });
    const watchdog = new StallWatchdog(
      settings.scheduler,
      timers,
      watchdogInterval(Math.min(lockTtl, membershipTtl, leaderTtl)),
      held,
    );
    this.stalls$ = watchdog.stalls$;
    this.memberId = settings.memberId;
    this.driver = {
      name: driver.capabilities.name,
      description: driver.description,
      capabilities: driver.capabilities,
    };
    this.state$ = connection.state$;
    this.ctx = {
      memberId: settings.memberId,
      session,
      capabilities: driver.capabilities,
      scheduler: settings.scheduler,
      timings: settings.timings,
      connection,
      localLocks: new LocalMutex(),
      pending: new PendingWork(),
      timers,
      held,
      leaving: new Map(),
      watchdog,
      probe: () => this.probe(),
      isClosed: () => this.closed,
      closing$: this.closing$.asObservable(),
      telemetry,
    };
    const gate = new ReconnectGate(
      connection,
      settings.scheduler,
      session.verify && (() => session.verify?.() ?? [true]),
      settings.timings.retryDelay,
      settings.timings.maxRetryDelay,
    );
    this.signals = from(session.signals$).subscribe((signal) => gate.signal(signal));
    this.signals.add(() => gate.stop());
    if (session.lease) {
      const keeper = new LeaseKeeper(
        session.lease,
        settings.scheduler,
        settings.timings.retryDelay,
        settings.timings.maxRetryDelay,
        settings.openedAt ?? settings.scheduler.now(),
      );
      this.keeper = keeper;
      this.signals.add(keeper.signals$.subscribe((signal) => connection.signal(signal)));
      this.signals.add(() => keeper.stop());
      keeper.start();
    }
  }

  get state(): ConnectionState {
    this.probe();
    return this.ctx.connection.state;
  }

  /** The session's own deadlines, evaluated now: a stalled process learns of its loss on its first read. */
  private probe(): void {
    if (this.closed) return;
    this.keeper?.check();
    const deadline = this.ctx.session.sessionDeadline?.();
    if (deadline !== undefined && this.ctx.scheduler.now() >= deadline) this.ctx.connection.signal('lost');
  }

  /** A group by id (not created by this call). */
  group(id: string): Group {
    const groupId = validateId('groupId', id, this.maxIdBytes);
    const backend = this.groupBackend();
    let group = this.groupCache.get(groupId);
    if (!group) {
      group = new Group(this.ctx, backend, groupId, this.joined);
      this.groupCache.set(groupId, group);
    }
    return group;
  }

  /** Every group that exists. */
  async groups(options?: CallOptions): Promise<readonly string[]> {
    const backend = this.groupBackend();
    return abortable(options?.signal, () => firstValueFrom(call(() => backend.list())));
  }

  /** Leadership of a group: subscribe to stand as a candidate. The same object for the same id. */
  leadership(groupId: string): Leadership {
    const id = validateId('groupId', groupId, this.maxIdBytes);
    const backend = this.lockBackend('leadership');
    let leadership = this.leaderships.get(id);
    if (!leadership) {
      leadership = new Leadership(this.ctx, backend, id);
      this.leaderships.set(id, leadership);
    }
    return leadership;
  }

  /**
   * Cold: subscribing acquires (waiting up to `wait`), emits one LockLease
   * when held and stays open while held; errors with LockLostError if the
   * lock is lost, LockTimeoutError if the wait runs out. Unsubscribing
   * releases the lock, or cancels the pending acquire.
   */
  lock(name: string, options?: LockOptions): Observable<LockLease> {
    const lockName = validateId('name', name, this.maxIdBytes);
    const resolved = resolveLockOptions(options, this.ctx.timings.lockTtl);
    return lockObservable(this.ctx, this.lockBackend('locks'), new NamedLock(lockName), resolved);
  }

  /** Promise flavour of `lock()`: `await using lease = await coordinator.acquire('x')`. */
  async acquire(name: string, options?: AcquireOptions): Promise<AsyncLockLease> {
    const { signal, ...lockOptions } = options ?? {};
    return acquireLease(this.lock(name, lockOptions), signal);
  }

  /** Deletes whoever holds the lock (tooz's `break_`). Emits true if something was held. */
  async breakLock(name: string, options?: CallOptions): Promise<boolean> {
    const lockName = validateId('name', name, this.maxIdBytes);
    const backend = this.lockBackend('locks');
    if (!backend.forceRelease) throw new NotSupportedError(this.driver.name, 'breakLock', []);
    const forceRelease = backend.forceRelease.bind(backend);
    return abortable(options?.signal, () => firstValueFrom(call(() => forceRelease({ kind: 'lock', name: lockName }))));
  }

  /** Who holds the lock now, with the hold's fencing token; null when free. */
  async lockHolder(name: string, options?: CallOptions): Promise<LockHolder | null> {
    const lockName = validateId('name', name, this.maxIdBytes);
    const backend = this.lockBackend('locks');
    return abortable(options?.signal, () =>
      firstValueFrom(call(() => backend.holder({ kind: 'lock', name: lockName }))),
    );
  }

  diagnose(options?: CallOptions): Promise<Diagnosis> {
    return abortable(options?.signal, () => this.diagnoseNow());
  }

  private async diagnoseNow(): Promise<Diagnosis> {
    const { session, scheduler } = this.ctx;
    const started = scheduler.now();
    const locks = session.locks;
    const groups = session.groups;
    if (locks) await firstValueFrom(call(() => locks.holder({ kind: 'lock', name: '.tooz-doctor' })));
    else if (groups) await firstValueFrom(call(() => groups.list()));
    const roundTripMs = scheduler.now() - started;
    const diagnose = session.diagnose?.bind(session);
    const found = diagnose ? await firstValueFrom(call(() => diagnose())) : {};
    return {
      driver: this.driver.name,
      description: this.driver.description,
      capabilities: this.driver.capabilities,
      state: this.state,
      roundTripMs,
      server: found.server ?? {},
      warnings: found.warnings ?? [],
    };
  }

  /** Releases everything still held (locks and memberships complete, leadership turns false and completes), then disconnects. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.closing$.next();
    this.closing$.complete();
    for (const held of [...this.ctx.held]) held.shutdown();
    for (const leadership of this.leaderships.values()) leadership.shutdown();
    await this.ctx.pending.drain();
    this.signals.unsubscribe();
    try {
      await firstValueFrom(
        call(() => this.ctx.session.close()),
        { defaultValue: undefined },
      );
    } finally {
      this.ctx.watchdog.stop();
      this.ctx.timers.stop();
      this.ctx.connection.close();
      this.ctx.telemetry.emit({ kind: 'state', memberId: this.memberId, state: 'closed' });
    }
  }

  private get maxIdBytes(): number | undefined {
    return this.driver.capabilities.maxIdBytes;
  }

  private groupBackend(): GroupBackend {
    const backend = this.groupSpi;
    if (!backend || !this.driver.capabilities.primitives.groups) throw this.notSupported('groups');
    return backend;
  }

  private lockBackend(primitive: 'locks' | 'leadership'): LockBackend {
    const backend = this.lockSpi;
    if (!backend || !this.driver.capabilities.primitives[primitive]) throw this.notSupported(primitive);
    return backend;
  }

  private notSupported(primitive: PrimitiveName): NotSupportedError {
    return new NotSupportedError(this.driver.name, primitive, driversSupporting(primitive));
  }
}

type GroupMembers = 'group' | 'groups';
type LockMembers = 'lock' | 'acquire' | 'breakLock' | 'lockHolder';
type LeadershipMembers = 'leadership';

/** What is absent from a coordinator whose driver declares these capabilities. */
type Absent<C extends CapabilityDescriptor> =
  | (C['primitives']['groups'] extends false ? GroupMembers : never)
  | (C['primitives']['locks'] extends false ? LockMembers : never)
  | (C['primitives']['leadership'] extends false ? LeadershipMembers : never);

/** A coordinator typed after its driver's descriptor: unsupported primitives are not there to call. */
export type CoordinatorFor<C extends CapabilityDescriptor> = Omit<Coordinator<C>, Absent<C>>;
