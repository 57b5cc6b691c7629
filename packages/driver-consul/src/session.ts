import {
  type DriverContext,
  type DriverDiagnosis,
  type DriverSession,
  type SessionSignal,
  SharedWatches,
} from '@tooz/core/driver';
import { NEVER, type Observable } from 'rxjs';
import type { ConsulApi } from './api.js';
import { ConsulGroups, type ConsulMemberHandle } from './groups.js';
import { ConsulKeys } from './keys.js';
import { type KvSnapshot, kvWatch } from './kv-watch.js';
import { type ConsulLockHandle, ConsulLocks } from './locks.js';
import type { ConsulSettings } from './options.js';
import { ConsulSessionLease } from './session-lease.js';

/** What the lock and group backends of one session share. */
export interface ConsulContext extends DriverContext {
  readonly api: ConsulApi;
  readonly keys: ConsulKeys;
  readonly lease: ConsulSessionLease;
  /** One blocking-query loop per key (or prefix, `recurse`), however many readers. */
  watch(key: string, recurse: boolean): Observable<KvSnapshot>;
}

/**
 * One coordinator's link to Consul. Liveness is its sessions, which core
 * keeps alive (`lease`): a renew unanswered or failing is `suspended`, a
 * renew Consul answers 404 (the session invalidated) is `lost`, so this
 * reports no signals of its own. After a server restart that kept its
 * data the sessions are still there; after one that lost it, the next
 * renew is a 404 and core renews the pair.
 */
export class ConsulSession implements DriverSession<ConsulLockHandle, ConsulMemberHandle> {
  readonly signals$: Observable<SessionSignal> = NEVER;
  readonly locks: ConsulLocks;
  readonly groups: ConsulGroups;
  private readonly ctx: ConsulContext;

  private constructor(
    private readonly api: ConsulApi,
    readonly lease: ConsulSessionLease,
    context: DriverContext,
    settings: ConsulSettings,
  ) {
    const watches = new SharedWatches<string, KvSnapshot>((id) =>
      kvWatch(api, id.slice(2), id.startsWith('r:'), settings.wait, context.backoff()),
    );
    this.ctx = {
      ...context,
      api,
      keys: new ConsulKeys(context.namespace),
      lease,
      watch: (key, recurse) => watches.get(`${recurse ? 'r' : 'k'}:${key}`),
    };
    this.locks = new ConsulLocks(this.ctx);
    this.groups = new ConsulGroups(this.ctx);
  }

  /** Checks the token with a read, then creates the sessions; rejects with ConnectionError. */
  static async open(api: ConsulApi, context: DriverContext, settings: ConsulSettings): Promise<ConsulSession> {
    // A read first: a refused token fails here, before a session is made.
    await api.json('GET', '/v1/agent/self', 'connect');
    const lease = await ConsulSessionLease.open(api, context.memberId, context.ttl);
    return new ConsulSession(api, lease, context, settings);
  }

  /** The current sessions (members, holds), for tests and operators. */
  get sessionIds() {
    return this.lease.sessions;
  }

  /** What `tooz doctor` shows: the agent's version, datacenter and node, who leads, and the session TTL granted. */
  async diagnose(): Promise<DriverDiagnosis> {
    const self = await this.api.json<{ Config?: Record<string, unknown> }>('GET', '/v1/agent/self', 'agent self');
    const leader = await this.api.json<string>('GET', '/v1/status/leader', 'status leader');
    const config = self.Config ?? {};
    const warnings =
      leader === '' ? ['the agent knows no leader: Consul refuses every write until one is elected'] : [];
    return {
      server: {
        version: String(config.Version ?? 'unknown'),
        datacenter: String(config.Datacenter ?? 'unknown'),
        node: String(config.NodeName ?? 'unknown'),
        leader,
        sessionTtlMs: this.lease.ttl,
      },
      warnings,
    };
  }

  async close(): Promise<void> {
    try {
      await this.lease.close();
    } finally {
      this.api.close();
    }
  }
}
