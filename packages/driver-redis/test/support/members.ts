import { connect } from '@tooz/core';
import { ProxiedMembers, type RedisServer } from '@tooz/testing';
import { Redis } from 'ioredis';

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

/** @tooz/testing's per-member fault proxies, plus what a session expiry means on Redis. */
export class RedisMembers extends ProxiedMembers {
  private admin: Redis | undefined;

  constructor(
    private readonly server: RedisServer,
    private readonly namespace = 'tooz',
  ) {
    super(server, (proxy, options) => connect(proxy.via(server.url), options));
  }

  /** Everything the member holds expires on the server, and its link drops (it learns on reconnecting). */
  async expireSession(memberId: string): Promise<void> {
    this.admin ??= new Redis(this.server.url);
    const field = memberId === '__created__' || memberId.startsWith('%') ? `%${memberId}` : memberId;
    await this.admin.eval(EXPIRE_MEMBER, 0, `${this.namespace}_`, memberId, field);
    this.cut(memberId);
  }

  override async close(): Promise<void> {
    this.admin?.disconnect();
    await super.close();
  }
}
