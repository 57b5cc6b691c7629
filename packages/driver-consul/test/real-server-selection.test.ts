import { startConsul } from '@tooz/testing';
import { afterAll, expect, it } from 'vitest';
import { consulTarget } from './support/target.js';

// The suite's "real Consul" path, run here against a compatible server posing as one through CONSUL_HTTP_ADDR:
// the target must use that address (no server of its own), the real server's TTL, and the token given.
const external = await startConsul({ aclTokens: ['posing-token'] });
afterAll(() => external.close());
const target = await consulTarget({ CONSUL_HTTP_ADDR: external.address, CONSUL_HTTP_TOKEN: 'posing-token' });

it('selects the server named by CONSUL_HTTP_ADDR, and runs a lock and an expiry on it', async () => {
  expect(target.real).toBe(true);
  expect(target.server).toBeUndefined();
  expect(target.ttl).toBe(10_000);
  const member = await target.members.add({ ttl: target.ttl });
  const lease = await member.coordinator.acquire('selected');
  expect(external.sessions().some((s) => s.Name === member.memberId)).toBe(true);
  await target.expire(member.memberId);
  expect(external.sessions().some((s) => s.Name === member.memberId)).toBe(false);
  await lease.release().catch(() => undefined);
});
