import { Observable, type Subscriber, type Subscription } from 'rxjs';
import type { Capabilities } from '../capabilities.js';
import { ConnectionError, type LossReason, MemberAlreadyJoinedError, MembershipLostError } from '../errors/errors.js';
import { call } from '../internal/call.js';
import type { CoreContext, Held } from '../internal/context.js';
import { Hold } from '../internal/hold.js';
import type { EncodedCapabilities, GroupBackend, MemberHandle } from '../spi/groups.js';

export interface Membership {
  readonly groupId: string;
  readonly memberId: string;
  readonly capabilities: Capabilities;
}

/**
 * One membership, owned by one subscription: join on subscribe, kept alive
 * and watched by a Hold (as a lock is), error with MembershipLostError when
 * it is gone, leave on unsubscribe. A join in flight when the subscriber
 * leaves is followed by a leave rather than abandoned.
 */
export class MembershipRun implements Held {
  private phase: 'joining' | 'joined' | 'ended' = 'joining';
  private handle: MemberHandle | undefined;
  private join: Subscription | undefined;
  private joinInFlight = false;
  private hold: Hold | undefined;

  constructor(
    private readonly ctx: CoreContext,
    private readonly backend: GroupBackend,
    readonly groupId: string,
    private capabilities: EncodedCapabilities,
    private readonly decoded: Capabilities,
    private readonly subscriber: Subscriber<Membership>,
    private readonly registry: Map<string, MembershipRun>,
  ) {}

  get memberHandle(): MemberHandle | undefined {
    return this.phase === 'joined' ? this.handle : undefined;
  }

  /** Keeps what was last advertised, for anything that reads it back. */
  setCapabilities(encoded: EncodedCapabilities): void {
    this.capabilities = encoded;
  }

  start(): void {
    this.ctx.held.add(this);
    this.registry.set(this.groupId, this);
    const ttl = this.ctx.timings.membershipTtl;
    const sentAt = this.ctx.scheduler.now();
    const losses = this.ctx.connection.losses;
    this.joinInFlight = true;
    let settled = false;
    const join = call(() => this.backend.join(this.groupId, this.capabilities, { ttl })).subscribe({
      next: (handle) => {
        settled = true;
        this.joinInFlight = false;
        this.onJoined(handle, sentAt, losses);
      },
      error: (error: unknown) => {
        settled = true;
        this.joinInFlight = false;
        if (this.phase !== 'joining') return;
        this.end();
        this.subscriber.error(error);
      },
    });
    if (!settled) this.join = join;
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

  private onJoined(handle: MemberHandle, sentAt: number, losses: number): void {
    this.handle = handle;
    if (this.phase !== 'joining') return this.leaveBackend();
    const { backend, groupId } = this;
    const ttl = this.ctx.timings.membershipTtl;
    if (backend.refresh && Hold.tooLate(this.ctx, ttl, sentAt)) {
      this.phase = 'joined';
      return this.lose('expired');
    }
    if (this.ctx.connection.losses !== losses) {
      // Joined in a session declared lost while the answer was on its way: the membership went with it.
      this.phase = 'joined';
      return this.lose('session-lost');
    }
    this.phase = 'joined';
    const refresh = backend.refresh?.bind(backend);
    this.hold = new Hold(this.ctx, {
      ttl,
      confirmedAt: sentAt,
      refresh: refresh && (() => call(() => refresh(groupId, handle, { ttl }))),
      lost$: handle.lost$,
      onLost: (reason, cause) => this.lose(reason, cause),
    });
    this.subscriber.next({ groupId, memberId: this.ctx.memberId, capabilities: this.decoded });
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
    this.hold?.stop();
    if (!this.joinInFlight) this.join?.unsubscribe();
  }

  private leaveBackend(): void {
    const { handle } = this;
    this.handle = undefined;
    if (handle) this.ctx.pending.track(call(() => this.backend.leave(this.groupId, handle)));
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
