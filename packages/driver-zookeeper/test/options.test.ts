import { createServer } from 'node:net';
import { ConnectionError, connect, InvalidArgumentError, parseConnectionUrl } from '@tooz/core';
import { fromUrl, zookeeper, zookeeperCapabilities } from '@tooz/driver-zookeeper';
import { describe, expect, it } from 'vitest';

function refusal(action: () => unknown): InvalidArgumentError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('expected a refusal');
}

/** As `connect()` calls it: the query parameters (none of them core's here) come as options. */
function url(text: string, options: Record<string, unknown> = {}) {
  const parsed = parseConnectionUrl(text);
  return fromUrl(parsed, { ...Object.fromEntries(parsed.params), ...options });
}

describe('zookeeper() options', () => {
  it('describes the connection without credentials', () => {
    const driver = zookeeper({
      hosts: ['zk1:2181', 'zk2'],
      chroot: '/apps/billing/',
      username: 'app',
      password: 's3cr3t!',
    });
    expect(driver.description).toBe('zookeeper://app@zk1:2181,zk2:2181/apps/billing');
    expect(driver.capabilities).toBe(zookeeperCapabilities);
  });

  it.each([
    [{ hosts: 'zk1:99999' }, 'options.hosts'],
    [{ hosts: 'a b' }, 'options.hosts'],
    [{ hosts: '[::1]:2181' }, 'options.hosts'],
    [{ chroot: 'relative' }, 'options.chroot'],
    [{ chroot: '/a/../b' }, 'options.chroot'],
    [{ sessionTimeout: 5 }, 'options.sessionTimeout'],
    [{ sessionTimeout: 'soon' }, 'options.sessionTimeout'],
    [{ connectTimeout: -1 }, 'options.connectTimeout'],
    [{ acl: 'everyone' }, 'options.acl'],
    [{ password: 'only' }, 'options.password'],
    [{ retries: 3 }, 'options.retries'],
  ])('refuses %o naming %s', (options, field) => {
    expect(refusal(() => zookeeper(options as never)).field).toBe(field);
  });
});

describe('zookeeper:// URLs', () => {
  it('takes hosts, chroot, credentials and tooz query parameters', () => {
    const driver = url('zookeeper://app:pw@h1:2182,h2/chroot?session_timeout=10&randomize_hosts=false&use_ssl=0');
    expect(driver.description).toBe('zookeeper://app@h1:2182,h2:2181/chroot');
    expect(url('kazoo://').description).toBe('zookeeper://localhost:2181');
    expect(url('zookeeper://h1', { hosts: 'h2:2190' }).description).toBe('zookeeper://h1:2181,h2:2190');
  });

  it.each([
    ['zookeeper://h1?session_timeout=abc', 'options.session_timeout'],
    ['zookeeper://h1?use_ssl=true', 'options.use_ssl'],
    ['zookeeper://h1?acl=nobody', 'options.acl'],
    ['zookeeper://h1?unknown=1', 'options.unknown'],
  ])('refuses %s naming %s', (text, field) => {
    expect(refusal(() => url(text)).field).toBe(field);
  });

  it('never echoes a password in a refusal', () => {
    const error = refusal(() => url('zookeeper://app:hunter2-pw@h1?session_timeout=never'));
    expect(error.message).not.toContain('hunter2-pw');
  });
});

describe('an unreachable ensemble', () => {
  it('fails connect() with a retryable ConnectionError once connectTimeout has passed', async () => {
    // A port nothing listens on any more.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const error = await connect(zookeeper({ hosts: `127.0.0.1:${port}`, connectTimeout: 300 }), { memberId: 'x' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).retryable).toBe(true);
    expect((error as ConnectionError).message).toContain(`127.0.0.1:${port}`);
  });
});
