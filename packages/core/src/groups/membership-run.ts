import { Observable, type Subscriber, Subscription, skip, timer } from 'rxjs';
import type { Capabilities } from '../capabilities.js';
import {
  ConnectionError,
  isRetryable,
  type LossReason,
  MemberAlreadyJoinedError,
  MembershipLostError,
} from '../errors/errors.js';
import { Backoff } from '../internal/backoff.js';
import { call } from '../internal/call.js';
import type { ConnectionState } from '../internal/connection-state.js';
import { type CoreContext, type Held, refreshInterval, safetyMargin } from '../internal/context.js';
import type { EncodedCapabilities, GroupBackend, MemberHandle } from '../spi/groups.js';

export interface Membership {
  readonly groupId: string;
  readonly memberId: string;
  readonly capabilities: Capabilities;
}

/**
 * One membership, owned by one subscription: join on subscribe, keep alive
 * (TTL drivers), error with MembershipLostError when it is gone, leave on
 * unsubscribe. Same safety rules as the lock run: loss is declared locally
 * before the backend's TTL can run out, and a join in flight when the
 * subscriber leaves is followed by a leave.
 */
export class MembershipRun implements Held {
  private phase: 'joining' | 'joined' | 'ended' = 'joining';
  private handle: MemberHandle | undefined;
  private readonly watches = new Subscription();
  private work: Subscription | undefined;
  private joinInFlight = false;
  private lossTimer: Subscription | undefined;
  private lastConfirmed = 0;
  private readonly backoff: Backoff;

  constructor(
    private readonly ctx: CoreContext,
    private readonly backend: GroupBackend,
    readonly groupId: string,
    private capabilities: EncodedCapabilities,
    private readonly decoded: Capabilities,
    private readonly subscriber: Subscriber<Membership>,
    private readonly registry: Map<string, MembershipRun>,
  ) {
    this.backoff = new Backoff(ctx.timings.retryDelay, ctx.timings.maxRetryDelay);
  }

  get memberHandle(): MemberHandle | undefined {
    return this.phase === 'joined' ? this.handle : undefined;
  }

  /** Keeps re-joins after an update consistent with what was last advertised. */
  setCapabilities(encoded: EncodedCapabilities): void {
    this.capabilities = encoded;
  }

  start(): void {
    this.ctx.held.add(this);
    this.registry.set(this.groupId, this);
    const ttl = this.ctx.timings.membershipTtl;
    const sentAt = this.ctx.scheduler.now();
    this.joinInFlight = true;
    const join = new Subscription();
    this.work = join;
    join.add(
      call(() => this.backend.join(this.groupId, this.capabilities, { ttl })).subscribe({
        next: (handle) => {
          this.joinInFlight = false;
          this.onJoined(handle, sentAt);
        },
        error: (error: unknown) => {
          this.joinInFlight = false;
          if (this.phase !== 'joining') return;
          this.end();
          this.subscriber.error(error);
        },
      }),
    );
  }

  dispose(): void {
    if (this.phase === 'joined') {
      this.end();
      this.leaveBackend();
    } else if (this.phase === 'joining') {
      this.end();
    }
  }

  shutdown(): void {
    if (this.phase === 'joined') this.lose('closed');
    else if (this.phase === 'joining') {
      this.end();
      this.subscriber.error(new ConnectionError('The coordinator was closed', { retryable: false }));
    }
  }

  private onJoined(handle: MemberHandle, sentAt: number): void {
    this.handle = handle;
    if (this.phase !== 'joining') return this.leaveBackend();
    this.phase = 'joined';
    this.lastConfirmed = sentAt;
    this.watches.add(this.ctx.connection.state$.pipe(skip(1)).subscribe((state) => this.onConnection(state)));
    if (handle.lost$) {
      this.watches.add(
        handle.lost$.subscribe({
          next: () => this.lose('stolen'),
          error: (error: unknown) => this.lose('expired', error),
        }),
      );
    }
    if (this.backend.refresh) {
      this.armLossTimer();
      this.scheduleRefresh(refreshInterval(this.ctx.timings.membershipTtl));
    }
    this.subscriber.next({ groupId: this.groupId, memberId: this.ctx.memberId, capabilities: this.decoded });
  }

  private onConnection(state: ConnectionState): void {
    if (state === 'lost') this.lose('session-lost');
    else if (state === 'reconnected' && this.backend.refresh) this.scheduleRefresh(0);
  }

  private armLossTimer(): void {
    const ttl = this.ctx.timings.membershipTtl;
    const delay = Math.max(0, this.lastConfirmed + ttl - safetyMargin(ttl) - this.ctx.scheduler.now());
    this.lossTimer?.unsubscribe();
    this.lossTimer = timer(delay, this.ctx.scheduler).subscribe(() => this.lose('expired'));
  }

  private scheduleRefresh(delay: number): void {
    if (this.phase !== 'joined') return;
    const next = new Subscription();
    this.work?.unsubscribe();
    this.work = next;
    next.add(timer(delay, this.ctx.scheduler).subscribe(() => this.refresh()));
  }

  private refresh(): void {
    const { backend, handle } = this;
    if (this.phase !== 'joined' || !backend.refresh || !handle) return;
    const refresh = backend.refresh.bind(backend);
    const ttl = this.ctx.timings.membershipTtl;
    const sentAt = this.ctx.scheduler.now();
    const request = new Subscription();
    this.work = request;
    request.add(
      call(() => refresh(this.groupId, handle, { ttl })).subscribe({
        next: (alive) => {
          if (this.phase !== 'joined') return;
          if (!alive) return this.lose('expired');
          this.lastConfirmed = Math.max(this.lastConfirmed, sentAt);
          this.backoff.reset();
          this.armLossTimer();
          this.scheduleRefresh(refreshInterval(ttl));
        },
        error: (error: unknown) => {
          if (this.phase !== 'joined') return;
          if (!isRetryable(error)) return this.lose('expired', error);
          this.scheduleRefresh(this.backoff.next());
        },
      }),
    );
  }

  private lose(reason: LossReason, cause?: unknown): void {
    if (this.phase !== 'joined') return;
    this.end();
    this.leaveBackend();
    this.subscriber.error(
      new MembershipLostError(this.groupId, this.ctx.memberId, reason, cause === undefined ? undefined : { cause }),
    );
  }

  private end(): void {
    this.phase = 'ended';
    this.ctx.held.delete(this);
    if (this.registry.get(this.groupId) === this) this.registry.delete(this.groupId);
    this.watches.unsubscribe();
    this.lossTimer?.unsubscribe();
    if (!this.joinInFlight) this.work?.unsubscribe();
  }

  private leaveBackend(): void {
    const { handle } = this;
    this.handle = undefined;
    if (handle) void this.ctx.pending.track(call(() => this.backend.leave(this.groupId, handle)));
  }
}

export function joinObservable(
  ctx: CoreContext,
  backend: GroupBackend,
  groupId: string,
  encoded: EncodedCapabilities,
  decoded: Capabilities,
  registry: Map<string, MembershipRun>,
): Observable<Membership> {
  return new Observable<Membership>((subscriber) => {
    if (ctx.isClosed()) {
      subscriber.error(new ConnectionError('The coordinator is closed', { retryable: false }));
      return;
    }
    if (registry.has(groupId)) {
      subscriber.error(new MemberAlreadyJoinedError(groupId, ctx.memberId));
      return;
    }
    const run = new MembershipRun(ctx, backend, groupId, encoded, decoded, subscriber, registry);
    run.start();
    return () => run.dispose();
  });
}
