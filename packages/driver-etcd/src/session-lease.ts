import { randomBytes } from 'node:crypto';
import { ConnectionError, type SessionLease, withDeadline } from '@tooz/core/driver';
import { filter, firstValueFrom, Observable, Subject } from 'rxjs';
import { endSoon } from './client.js';
import { isLeaseGone, toToozError } from './errors.js';
import type { EtcdRpc } from './rpc.js';

interface LeaseId {
  /** Decimal, as etcd's JSON and the etcd3 client want int64s. */
  readonly id: string;
  /** Hexadecimal, as etcdctl prints it and as queue entries are named. */
  readonly hex: string;
}

/**
 * A random positive int64: the client picks the lease id, so a grant that is
 * retried after an ambiguous failure cannot leave a second, leaked lease.
 */
function newLeaseId(): LeaseId {
  const value = randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn;
  return value === 0n ? newLeaseId() : { id: value.toString(), hex: value.toString(16) };
}

/**
 * The coordinator's one etcd lease: every member key, queue entry and leader
 * seat is attached to it. Core beats it and decides when it is lost (see
 * SessionLease); `renew()` then replaces it, and everything held under the
 * old one is gone (it is revoked so that others need not wait for it to
 * expire).
 */
export class EtcdSessionLease implements SessionLease {
  private current: LeaseId | undefined;
  private grantedTtl: number;
  private readonly retired = new Set<string>();
  private readonly lostSubject = new Subject<void>();
  /** Emits when the lease is given up: entries written under it are gone. */
  readonly lost$: Observable<void> = this.lostSubject.asObservable();
  /** Scheduler time at which the current lease's grant was sent: core dates its first deadline from it. */
  sentAt: number | undefined;
  /** Only the newest renewal is adopted: core abandons one that outlives its own deadline and renews again. */
  private renewals = 0;
  private readonly granted = new Subject<LeaseId>();

  private constructor(
    private readonly rpc: EtcdRpc,
    private readonly requestedTtl: number,
  ) {
    this.grantedTtl = requestedTtl;
  }

  /** Grants the first lease; fails (e.g. refused credentials) before any coordinator exists. */
  static async open(rpc: EtcdRpc, ttl: number): Promise<EtcdSessionLease> {
    const lease = new EtcdSessionLease(rpc, ttl);
    lease.current = await lease.grant();
    return lease;
  }

  /** Milliseconds the server keeps the lease without a keep-alive: what it granted, never less. */
  get ttl(): number {
    return this.grantedTtl;
  }

  /** The lease to attach writes to; throws a retryable error while a lost lease is being replaced. */
  get id(): LeaseId {
    if (!this.current) throw new ConnectionError('The etcd session lease was lost and is being renewed');
    return this.current;
  }

  /**
   * The lease to attach writes to, waiting for a renewal in progress (bounded
   * by the request timeout): a join made while the lease is being replaced
   * lands on the new one instead of failing.
   */
  ready(): Promise<LeaseId> {
    if (this.current) return Promise.resolve(this.current);
    const renewed = this.granted.pipe(filter((lease) => lease === this.current));
    return firstValueFrom(
      withDeadline(
        renewed,
        this.rpc.timeout,
        this.rpc.scheduler,
        () => new ConnectionError('The etcd session lease was lost and is still being renewed'),
      ),
    );
  }

  /** True for this session's lease and the ones it had before: keys under them are this session's own. */
  owns(leaseId: string): boolean {
    return this.current?.id === leaseId || this.retired.has(leaseId);
  }

  async beat(): Promise<boolean> {
    const lease = this.current;
    if (!lease) return false;
    // Core reports a silent beat as `suspended` itself and sends more beside it; past the TTL an answer proves nothing.
    const ms = Math.min(this.rpc.timeout, this.grantedTtl);
    const ttl = await firstValueFrom(
      withDeadline(
        this.keepAliveOnce(lease.id),
        ms,
        this.rpc.scheduler,
        () => new ConnectionError(`etcd did not answer a lease keep-alive within ${Math.round(ms)} ms`),
      ),
    );
    return ttl > 0;
  }

  async renew(): Promise<void> {
    const renewal = ++this.renewals;
    const old = this.current;
    if (old) {
      this.current = undefined;
      this.retired.add(old.id);
      this.lostSubject.next();
      // Best effort: if it fails, the server expires the lease by itself within its TTL.
      this.rpc.leaseRevoke(old.id).catch(() => undefined);
    }
    const lease = await this.grant();
    if (renewal !== this.renewals || this.current) {
      // Abandoned by core for a newer renewal: its lease was granted too late to be trusted.
      this.retired.add(lease.id);
      this.rpc.leaseRevoke(lease.id).catch(() => undefined);
      throw new ConnectionError('A newer renewal of the etcd session lease replaced this one');
    }
    this.current = lease;
    this.granted.next(lease);
  }

  /** Ends the lease on close: whatever is still attached goes now, not at expiry. */
  async revoke(): Promise<void> {
    const lease = this.current;
    this.current = undefined;
    this.renewals++;
    this.lostSubject.complete();
    this.granted.complete();
    if (lease) await this.rpc.leaseRevoke(lease.id);
  }

  private async grant(): Promise<LeaseId> {
    const lease = newLeaseId();
    this.sentAt = this.rpc.scheduler.now();
    // etcd counts lease TTLs in whole seconds; round up so the lease outlives what was asked.
    const seconds = Math.max(1, Math.ceil(this.requestedTtl / 1000));
    try {
      const granted = await this.rpc.leaseGrant(lease.id, seconds);
      // The server may raise the TTL to its minimum: the keeper's deadlines then follow the real one.
      this.grantedTtl = Math.max(this.requestedTtl, Number(granted.TTL) * 1000 || 0);
    } catch (error) {
      // A transport retry of our own grant finds it already made (ids are random 63-bit numbers).
      if (!(error instanceof Error && String(error.cause ?? error).includes('lease already exists'))) throw error;
    }
    return lease;
  }

  /**
   * One keep-alive on a stream of its own: the TTL the server now gives the
   * lease (0 once it is gone). A stream per beat costs nothing worth saving
   * and lands on whichever host is healthy now, where a long-lived stream
   * would stay with a member that died. (The etcd3 package's own Lease keeps
   * one stream and calls the lease lost only after two TTLs: its issue #155.)
   */
  private keepAliveOnce(id: string): Observable<number> {
    const { client, scheduler } = this.rpc;
    return new Observable<number>((subscriber) => {
      let stream: Awaited<ReturnType<typeof client.leaseClient.leaseKeepAlive>> | undefined;
      let closed = false;
      client.leaseClient.leaseKeepAlive().then(
        (opened) => {
          if (closed) return endSoon(opened, scheduler);
          stream = opened;
          opened.on('data', (response) => subscriber.next(Number(response.TTL)));
          opened.on('error', (error) =>
            isLeaseGone(error) ? subscriber.next(0) : subscriber.error(toToozError(error, 'lease keep-alive')),
          );
          opened.on('end', () =>
            subscriber.error(new ConnectionError('etcd closed the keep-alive stream without an answer')),
          );
          opened.write({ ID: id });
        },
        (error: unknown) => subscriber.error(toToozError(error, 'lease keep-alive')),
      );
      return () => {
        closed = true;
        if (stream) endSoon(stream, scheduler);
      };
    });
  }
}
