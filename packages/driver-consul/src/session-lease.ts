import { ConnectionError, deadlinePromise, type SessionLease } from '@tooz/core/driver';
import { Subject } from 'rxjs';
import type { ConsulApi } from './api.js';
import { statusError } from './errors.js';

/** The two Consul sessions of one coordinator: one per behaviour a key needs. */
export interface SessionPair {
  /** Behavior `delete`: a member key goes with its session. */
  readonly members: string;
  /** Behavior `release`: a lock or leader key stays, unlocked, when its session goes. */
  readonly holds: string;
}

/** A Go duration as Consul prints a TTL ("15s", "1m30s"), in ms; undefined if it is not one. */
function ttlMs(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  if (!match || text === '') return undefined;
  return (Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0)) * 1000;
}

/**
 * The coordinator's Consul sessions, which core keeps alive: a beat is
 * `PUT /v1/session/renew` of both, a renewal creates a new pair (the old
 * one is destroyed, so what it held goes now). Both have a TTL (Consul
 * takes whole seconds; it may invalidate as late as twice the TTL, which
 * core never counts on: its deadline is the send of the last confirmed
 * beat plus the TTL minus a margin) and a lock-delay of 0: the holder is
 * told of a loss before the TTL lets anyone in, so Consul's default 15 s
 * delay would only stall the next holder (and this coordinator's own
 * re-acquire after a renewal) without making anything safer; fencing
 * tokens cover a holder that stalls.
 */
export class ConsulSessionLease implements SessionLease {
  private current: SessionPair | undefined;
  private granted: number;
  private renewals = 0;
  sentAt: number | undefined;
  private readonly replacedSubject = new Subject<void>();
  /** Emits when the pair is given up: everything held under it is gone. */
  readonly replaced$ = this.replacedSubject.asObservable();

  private constructor(
    private readonly api: ConsulApi,
    private readonly name: string,
    private readonly requested: number,
  ) {
    this.granted = Math.ceil(requested / 1000) * 1000;
  }

  static async open(api: ConsulApi, name: string, ttl: number): Promise<ConsulSessionLease> {
    const lease = new ConsulSessionLease(api, name, ttl);
    lease.current = await lease.createPair();
    return lease;
  }

  get ttl(): number {
    return this.granted;
  }

  /** The pair to write under; a retryable error while a lost pair is being replaced. */
  get sessions(): SessionPair {
    if (!this.current) throw new ConnectionError('The Consul sessions were lost and are being renewed');
    return this.current;
  }

  async beat(): Promise<boolean> {
    const pair = this.current;
    if (!pair) return false;
    const ms = Math.min(this.api.requestTimeout, this.granted);
    const renewed = await deadlinePromise(
      Promise.all([this.renewOne(pair.members), this.renewOne(pair.holds)]),
      ms,
      this.api.scheduler,
      () => new ConnectionError(`consul did not answer a session renew within ${Math.round(ms)} ms`),
    );
    return renewed.every(Boolean);
  }

  async renew(): Promise<void> {
    const renewal = ++this.renewals;
    const old = this.current;
    if (old) {
      this.current = undefined;
      this.replacedSubject.next();
      void this.destroy(old);
    }
    const pair = await this.createPair();
    if (renewal !== this.renewals || this.current) {
      // Abandoned by core for a newer renewal: too late to be trusted.
      void this.destroy(pair);
      throw new ConnectionError('A newer renewal of the Consul sessions replaced this one');
    }
    this.current = pair;
  }

  /** On close: whatever is still attached goes now, not at the TTL. */
  async close(): Promise<void> {
    const pair = this.current;
    this.current = undefined;
    this.renewals++;
    this.replacedSubject.complete();
    if (pair) await this.destroy(pair);
  }

  private async renewOne(id: string): Promise<boolean> {
    const reply = await this.api.request('PUT', `/v1/session/renew/${id}`, 'session renew');
    if (reply.status === 404) return false;
    if (reply.status !== 200) throw statusError(reply.status, reply.body.toString('utf8'), 'session renew');
    // Consul may hand back a longer TTL when loaded ("renew less often"): core's beats follow it.
    const [session] = JSON.parse(reply.body.toString('utf8')) as Array<{ TTL?: unknown }>;
    const ttl = ttlMs(session?.TTL);
    if (ttl !== undefined && ttl > this.granted) this.granted = ttl;
    return true;
  }

  private async createPair(): Promise<SessionPair> {
    this.sentAt = this.api.scheduler.now();
    const [members, holds] = await Promise.all([this.create('delete'), this.create('release')]);
    return { members, holds };
  }

  private async create(behavior: 'delete' | 'release'): Promise<string> {
    const seconds = Math.max(1, Math.ceil(this.requested / 1000));
    const body = JSON.stringify({ Name: this.name, TTL: `${seconds}s`, Behavior: behavior, LockDelay: '0s' });
    const reply = await this.api.request('PUT', '/v1/session/create', 'session create', { body });
    if (reply.status === 200) return (JSON.parse(reply.body.toString('utf8')) as { ID: string }).ID;
    const text = reply.body.toString('utf8');
    if (/Invalid Session TTL/i.test(text)) {
      throw new ConnectionError(
        `consul refused a session TTL of ${seconds}s (${text.trim()}): give a ttl within the agent's session_ttl_min (10 s by default)`,
        { retryable: false },
      );
    }
    throw statusError(reply.status, text, 'session create');
  }

  private async destroy(pair: SessionPair): Promise<void> {
    await Promise.allSettled(
      [pair.members, pair.holds].map((id) => this.api.request('PUT', `/v1/session/destroy/${id}`, 'session destroy')),
    );
  }
}
