import { connect } from '@tooz/core';
import { type ZookeeperDriver, zookeeper } from '@tooz/driver-zookeeper';
import { ProxiedMembers } from '@tooz/testing';
import { closeSessionFromElsewhere } from './expire-session.js';

type Server = () => { readonly host: string; readonly port: number };

/**
 * `ProxiedMembers` on a ZooKeeper server (read lazily: it starts in a
 * `beforeAll`), with ZooKeeper's own fault besides: a session expired by
 * the server.
 */
export class ZookeeperMembers extends ProxiedMembers {
  private readonly drivers: Map<string, ZookeeperDriver[]>;

  constructor(private readonly server: Server) {
    const drivers = new Map<string, ZookeeperDriver[]>();
    const target = {
      get host() {
        return server().host;
      },
      get port() {
        return server().port;
      },
    };
    super(target, (proxy, options) => {
      const driver = zookeeper({ hosts: proxy.address });
      drivers.set(options.memberId, [...(drivers.get(options.memberId) ?? []), driver]);
      return connect(driver, options);
    });
    this.drivers = drivers;
  }

  /** Holds the member's traffic, closes its sessions from a second connection, then lets the traffic go. */
  async expireSession(memberId: string): Promise<void> {
    const { host, port } = this.server();
    this.suspend(memberId);
    try {
      for (const driver of this.drivers.get(memberId) ?? []) {
        for (const session of driver.sessions()) await closeSessionFromElsewhere(`${host}:${port}`, session);
      }
    } finally {
      this.resume(memberId);
    }
  }
}
