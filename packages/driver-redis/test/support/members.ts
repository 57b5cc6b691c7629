import { Redis } from 'ioredis';
import { type FaultProxy, type RedisServer, startFaultProxy } from './servers.js';

// What a TTL expiry does to a member, done at once: its locks vanish (no
// release is announced, as with a real expiry) and its memberships are past
// their deadline, so the watchers' expiry timers find it dead.
const EXPIRE_MEMBER = `
local prefix, member, field = ARGV[1], ARGV[2], ARGV[3]
for _, key in ipairs(redis.call('KEYS', prefix .. '*_lock')) do
  local value = redis.call('GET', key)
  local colon = value and string.find(value, ':', 1, true)
  if colon and string.sub(value, colon + 1) == member then redis.call('DEL', key) end
end
for _, key in ipairs(redis.call('KEYS', prefix .. 'members:*:deadlines')) do
  if redis.call('ZSCORE', key, field) then redis.call('ZADD', key, 0, field) end
end
redis.call('DEL', prefix .. 'beats:' .. member)
`;

/**
 * Each member id reaches the server through its own fault proxy, so a test
 * can suspend or cut one member's link while the others carry on.
 */
export class ProxiedMembers {
  private readonly proxies = new Map<string, Promise<FaultProxy>>();
  private admin: Redis | undefined;

  constructor(
    private readonly server: RedisServer,
    private readonly namespace = 'tooz',
  ) {}

  /** The URL member `memberId` connects with. */
  async url(memberId: string): Promise<string> {
    return (await this.proxy(memberId)).via(this.server.url);
  }

  proxy(memberId: string): Promise<FaultProxy> {
    let proxy = this.proxies.get(memberId);
    if (!proxy) {
      proxy = startFaultProxy({ target: this.server });
      this.proxies.set(memberId, proxy);
    }
    return proxy;
  }

  async suspend(memberId: string): Promise<void> {
    (await this.proxy(memberId)).suspend();
  }

  async resume(memberId: string): Promise<void> {
    (await this.proxy(memberId)).resume();
  }

  async cut(memberId: string): Promise<void> {
    (await this.proxy(memberId)).cut();
  }

  /** Everything the member holds expires on the server, and its link drops (it learns on reconnecting). */
  async expireSession(memberId: string): Promise<void> {
    this.admin ??= new Redis(this.server.url, { lazyConnect: false });
    const field = memberId === '__created__' || memberId.startsWith('%') ? `%${memberId}` : memberId;
    await this.admin.eval(EXPIRE_MEMBER, 0, `${this.namespace}_`, memberId, field);
    await this.cut(memberId);
  }

  async close(): Promise<void> {
    this.admin?.disconnect();
    const proxies = await Promise.allSettled(this.proxies.values());
    await Promise.all(proxies.map((p) => (p.status === 'fulfilled' ? p.value.close() : undefined)));
    this.proxies.clear();
  }
}
