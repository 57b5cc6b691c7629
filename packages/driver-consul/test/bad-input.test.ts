import { connect, InvalidArgumentError, parseConnectionUrl } from '@tooz/core';
import { consul, fromUrl } from '@tooz/driver-consul';
import { describe, expect, it } from 'vitest';
import { consulTarget, selectEndpoint } from './support/target.js';

function refusal(action: () => unknown): InvalidArgumentError {
  try {
    action();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidArgumentError');
}

const url = (text: string) => parseConnectionUrl(text);
const fromText = (text: string) => fromUrl(url(text), Object.fromEntries(url(text).params));

describe('options and URLs', () => {
  it.each([
    // Named as the user wrote it (tooz's snake_case here).
    ['consul://h:8500?request_timeout=soon', 'options.request_timeout'],
    ['consul://h:8500?colour=blue', 'options.colour'],
    ['consul://h:8500?wait=1ms', 'options.wait'],
    ['consul://h:8500?dc=', 'options.dc'],
    ['consul://h:8500?tls=maybe', 'options.tls'],
    ['consul://h:8500?ca_cert=/nonexistent/ca.pem&tls=1', 'options.ca_cert'],
    ['consul://h:8500?client_cert=/tmp/x.pem', 'options.client_cert'],
    ['consul+https://h:8500?tls=false', 'options.tls'],
    ['consul://h:8500/some/path', 'url.path'],
    ['consul://token:abc@h:8500?acl_token=def', 'options.token'],
    ['consul://h:8500?acl_token=a&token=b', 'options.acl_token'],
  ])('%s is refused naming %s', (text, field) => {
    expect(refusal(() => fromText(text)).field).toBe(field);
  });

  it("accepts tooz's options and several agents, describing them without the token", () => {
    for (const [text, described] of [
      ['consul://h1', 'consul://h1:8500'],
      ['consul://token:s3cret@h1:8501,h2', 'consul://h1:8501,h2:8500'],
      ['consul://h1?acl_token=s3cret&dc=east&wait=30&request_timeout=3', 'consul://h1:8500?dc=east'],
      ['consul+https://h1:8501', 'consul+https://h1:8501'],
    ] as const) {
      const driver = fromText(text);
      expect(driver.description).toBe(described);
      expect(driver.description).not.toContain('s3cret');
    }
    expect(consul({ hosts: ['a:1', 'b:2'], token: 't' }).description).toBe('consul://a:1,b:2');
  });
});

describe('refused input writes nothing', () => {
  const target = consulTarget();

  it('refuses bad ids and capabilities before any request; the KV store is unchanged', async () => {
    const { members, server } = await target;
    const { coordinator } = await members.add();
    const group = `g-${Math.random().toString(36).slice(2, 8)}`;
    await coordinator.group(group).create();
    const before = JSON.stringify(server ? [...(server.sessions().map((s) => s.ID) ?? [])] : []);
    for (const bad of ['', 'lone\uD800', 'x'.repeat(1025)]) {
      expect(refusal(() => coordinator.group(bad)).field).toBe('groupId');
      expect(refusal(() => coordinator.lock(bad)).field).toBe('name');
    }
    expect(refusal(() => coordinator.group(group).join({ f: () => 1 })).field.startsWith('capabilities')).toBe(true);
    expect((await coordinator.group(group).members()).size).toBe(0);
    expect(JSON.stringify(server ? server.sessions().map((s) => s.ID) : [])).toBe(before);
    await expect(connect(consul({ hosts: '127.0.0.1:9' }), { memberId: '' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});

describe('CONSUL_HTTP_ADDR selects a real Consul', () => {
  it('reads the address as the Consul CLI does, with the token and TLS', () => {
    expect(selectEndpoint({})).toBeUndefined();
    expect(selectEndpoint({ CONSUL_HTTP_ADDR: '10.0.0.5:8500' })).toMatchObject({
      real: true,
      address: 'http://10.0.0.5:8500',
      ttl: 10_000,
    });
    expect(selectEndpoint({ CONSUL_HTTP_ADDR: 'https://c.example:8501', CONSUL_HTTP_TOKEN: 't' })).toMatchObject({
      address: 'https://c.example:8501',
      token: 't',
    });
    expect(selectEndpoint({ CONSUL_HTTP_ADDR: 'c.example', CONSUL_HTTP_SSL: 'true' })?.address).toBe(
      'https://c.example:8501',
    );
  });
});
