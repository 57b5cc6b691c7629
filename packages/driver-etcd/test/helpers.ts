import { type Coordinator, type CoreOptionsInput, connect } from '@tooz/core';
import type { DriverSession } from '@tooz/core/driver';
import { type EtcdOptions, EtcdSession, etcd } from '@tooz/driver-etcd';
import { type EtcdServer, ProxiedMembers } from '@tooz/testing';
import { Etcd3, type IOptions } from 'etcd3';
import { firstValueFrom, from } from 'rxjs';

/** A plain etcd3 client on a fixture, for looking behind the driver's back. */
export function adminClient(server: EtcdServer, extra: Partial<IOptions> = {}): Etcd3 {
  return new Etcd3({ hosts: `http://${server.host}:${server.port}`, ...extra });
}

/**
 * @tooz/testing's ProxiedMembers (each coordinator behind a fault proxy of
 * its own), keeping every session opened so that a test can reach a
 * member's SPI or revoke its lease.
 */
export class EtcdMembers {
  readonly sessions = new Map<string, EtcdSession[]>();
  private readonly pool: ProxiedMembers;

  constructor(target: { host: string; port: number }, driverOptions: EtcdOptions = {}) {
    this.pool = new ProxiedMembers(target, (proxy, options) => {
      const driver = etcd({ ...driverOptions, hosts: proxy.address });
      const record = (session: EtcdSession) => {
        this.sessions.set(options.memberId, [...(this.sessions.get(options.memberId) ?? []), session]);
        return session;
      };
      const open = async (context: Parameters<typeof driver.open>[0]): Promise<DriverSession> => {
        const session = await firstValueFrom(from(driver.open(context)));
        if (!(session instanceof EtcdSession)) throw new Error('not an etcd session');
        return record(session);
      };
      return connect({ ...driver, open }, options);
    });
  }

  async connect(options: CoreOptionsInput & { memberId: string }): Promise<Coordinator> {
    return (await this.pool.add(options)).coordinator;
  }

  /** The member's first session. */
  session(memberId: string): EtcdSession {
    const session = this.sessions.get(memberId)?.[0];
    if (!session) throw new Error(`no session recorded for ${memberId}`);
    return session;
  }

  suspend(memberId: string): void {
    this.pool.suspend(memberId);
  }

  resume(memberId: string): void {
    this.pool.resume(memberId);
  }

  cut(memberId: string): void {
    this.pool.cut(memberId);
  }

  /** Revokes the member's session leases, as an operator (or an expiry) would. */
  async expire(admin: Etcd3, memberId: string): Promise<void> {
    for (const session of this.sessions.get(memberId) ?? []) {
      const id = session.leaseId;
      if (id) await admin.leaseClient.leaseRevoke({ ID: id }).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
    this.sessions.clear();
  }
}

let counter = 0;
/** A fresh id, so tests sharing a server never meet. */
export const uid = (prefix: string) =>
  `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;

/** A coordinator connected straight to the server (no proxy), closed by the caller. */
export function direct(server: { host: string; port: number }, options: CoreOptionsInput & { memberId: string }) {
  return connect(etcd({ hosts: `${server.host}:${server.port}` }), options);
}
