import { type Coordinator, type CoreOptionsInput, connect, type DriverSession } from '@tooz/core';
import { type EtcdDriverOptions, type EtcdSession, etcd } from '@tooz/driver-etcd';
import { Etcd3, type IOptions } from 'etcd3';
import { firstValueFrom, from } from 'rxjs';
import { type EtcdServer, type FaultProxy, startFaultProxy } from '@tooz/testing';

/** A plain etcd3 client on a fixture, for looking behind the driver's back. */
export function adminClient(server: EtcdServer, extra: Partial<IOptions> = {}): Etcd3 {
  return new Etcd3({ hosts: `http://${server.host}:${server.port}`, ...extra });
}

export interface Connection {
  readonly coordinator: Coordinator;
  readonly proxy: FaultProxy;
  /** Every session the coordinator opened (one: sessions renew their lease, they are not reopened). */
  readonly session: () => EtcdSession;
}

/**
 * Coordinators that each reach etcd through a fault proxy of their own, so
 * a test can suspend or cut one member's network, and whose sessions are
 * kept so that a test can revoke one member's lease.
 */
export class Members {
  readonly proxies = new Map<string, FaultProxy[]>();
  readonly sessions = new Map<string, EtcdSession[]>();

  constructor(
    private readonly target: { host: string; port: number },
    private readonly driverOptions: EtcdDriverOptions = {},
  ) {}

  async connect(options: CoreOptionsInput & { memberId: string }): Promise<Coordinator> {
    const proxy = await startFaultProxy({ target: this.target });
    const { memberId } = options;
    this.proxies.set(memberId, [...(this.proxies.get(memberId) ?? []), proxy]);
    const driver = etcd({ ...this.driverOptions, hosts: proxy.address });
    const sessions = this.sessions;
    const tracked = {
      ...driver,
      async open(context: Parameters<typeof driver.open>[0]): Promise<DriverSession> {
        const session = (await firstValueFrom(from(driver.open(context)))) as EtcdSession;
        sessions.set(memberId, [...(sessions.get(memberId) ?? []), session]);
        return session;
      },
    };
    return connect(tracked, options);
  }

  suspend(memberId: string): void {
    for (const proxy of this.proxies.get(memberId) ?? []) proxy.suspend();
  }

  resume(memberId: string): void {
    for (const proxy of this.proxies.get(memberId) ?? []) proxy.resume();
  }

  cut(memberId: string): void {
    for (const proxy of this.proxies.get(memberId) ?? []) proxy.cut();
  }

  /** Revokes the member's session leases, as an operator (or an expiry) would. */
  async expire(admin: Etcd3, memberId: string): Promise<void> {
    for (const session of this.sessions.get(memberId) ?? []) {
      const id = session.leaseId;
      if (id) await admin.leaseClient.leaseRevoke({ ID: id }).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].flat().map((proxy) => proxy.close()));
    this.proxies.clear();
    this.sessions.clear();
  }
}

export { connect };

export { waitUntil } from '@tooz/testing';

export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let counter = 0;
/** A fresh id, so tests sharing a server never meet. */
export const uid = (prefix: string) =>
  `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;

/** A coordinator connected straight to the server (no proxy), closed by the caller. */
export function direct(server: { host: string; port: number }, options: CoreOptionsInput & { memberId: string }) {
  return connect(etcd({ hosts: `${server.host}:${server.port}` }), options);
}
