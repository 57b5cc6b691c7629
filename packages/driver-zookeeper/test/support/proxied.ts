import { type Coordinator, type CoreOptionsInput, connect } from '@tooz/core';
import { type ZookeeperDriver, type ZookeeperOptions, zookeeper } from '@tooz/driver-zookeeper';
import { closeSessionFromElsewhere } from './expire-session.js';
import { type FaultProxy, startFaultProxy } from '@tooz/testing';

interface Member {
  readonly proxy: FaultProxy;
  readonly driver: ZookeeperDriver;
}

/**
 * Coordinators that each reach ZooKeeper through their own fault proxy, so a
 * test can cut one member off (suspend), or expire its session, by member id.
 */
export class ProxiedMembers {
  private readonly members = new Map<string, Member[]>();
  private readonly proxies: FaultProxy[] = [];

  constructor(private readonly target: () => { host: string; port: number }) {}

  async connect(
    options: CoreOptionsInput & { memberId: string },
    driverOptions: ZookeeperOptions = {},
  ): Promise<Coordinator> {
    const { host, port } = this.target();
    const proxy = await startFaultProxy({ target: { host, port } });
    this.proxies.push(proxy);
    const driver = zookeeper({ ...driverOptions, hosts: proxy.address });
    const list = this.members.get(options.memberId) ?? [];
    list.push({ proxy, driver });
    this.members.set(options.memberId, list);
    return connect(driver, options);
  }

  suspend(memberId: string): void {
    for (const { proxy } of this.members.get(memberId) ?? []) proxy.suspend();
  }

  /** Resets the member's connections; it reconnects through the proxy at once. */
  cut(memberId: string): void {
    for (const { proxy } of this.members.get(memberId) ?? []) proxy.cut();
  }

  resume(memberId: string): void {
    for (const { proxy } of this.members.get(memberId) ?? []) proxy.resume();
  }

  /** Holds the member's traffic, closes its session from a second connection, then lets the traffic go. */
  async expireSession(memberId: string): Promise<void> {
    const { host, port } = this.target();
    for (const { proxy, driver } of this.members.get(memberId) ?? []) {
      proxy.suspend();
      try {
        for (const session of driver.sessions()) await closeSessionFromElsewhere(`${host}:${port}`, session);
      } finally {
        proxy.resume();
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.proxies.splice(0).map((proxy) => proxy.close()));
    this.members.clear();
  }
}
