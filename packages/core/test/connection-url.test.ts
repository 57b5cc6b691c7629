import { describe, expect, it } from 'vitest';
import { invalid } from './helpers.js';
import { parseConnectionUrl } from '@tooz/core';

describe('parseConnectionUrl: hosts', () => {
  it('parses a multi-host authority, which WHATWG URL refuses', () => {
    const url = parseConnectionUrl('etcd://h1:2379,h2:2379,h3:2379');
    expect(url.scheme).toBe('etcd');
    expect(url.hosts).toEqual([
      { host: 'h1', port: 2379 },
      { host: 'h2', port: 2379 },
      { host: 'h3', port: 2379 },
    ]);
    expect(url.path).toBe('');
    expect(url.username).toBeUndefined();
    expect(url.password).toBeUndefined();
  });

  it('lets each host of a list carry its own port, or none', () => {
    const url = parseConnectionUrl('zookeeper://a,b:2182,c');
    expect(url.hosts).toEqual([
      { host: 'a', port: undefined },
      { host: 'b', port: 2182 },
      { host: 'c', port: undefined },
    ]);
  });

  it('parses bracketed IPv6 hosts, with and without a port, and strips the brackets', () => {
    const url = parseConnectionUrl('zookeeper://[::1]:2181,[fe80::1]/chroot');
    expect(url.hosts).toEqual([
      { host: '::1', port: 2181 },
      { host: 'fe80::1', port: undefined },
    ]);
    expect(url.path).toBe('/chroot');
  });

  it('lower-cases the scheme and keeps compound schemes whole', () => {
    expect(parseConnectionUrl('REDIS://h').scheme).toBe('redis');
    expect(parseConnectionUrl('redis+sentinel://s1:26379,s2:26379/mymaster').scheme).toBe('redis+sentinel');
  });

  it('accepts the port bounds 1 and 65535', () => {
    expect(parseConnectionUrl('redis://h:1').hosts[0]?.port).toBe(1);
    expect(parseConnectionUrl('redis://h:65535').hosts[0]?.port).toBe(65535);
  });
});

describe('parseConnectionUrl: credentials', () => {
  it('%-decodes user and password, and keeps the password out of `redacted`', () => {
    const url = parseConnectionUrl('redis://us%40er:p%40ss%3Aw0rd@h:6379/0');
    expect(url.username).toBe('us@er');
    expect(url.password).toBe('p@ss:w0rd');
    expect(url.hosts).toEqual([{ host: 'h', port: 6379 }]);
    expect(url.path).toBe('/0');
    expect(url.redacted).not.toContain('p%40ss%3Aw0rd');
    expect(url.redacted).not.toContain('p@ss:w0rd');
    expect(url.redacted).toContain('h:6379/0');
  });

  it('redacts a plain password but keeps the user name visible', () => {
    const url = parseConnectionUrl('postgres://app:hunter2secret@db1:5432,db2:5432/orders');
    expect(url.password).toBe('hunter2secret');
    expect(url.redacted).not.toContain('hunter2secret');
    expect(url.redacted).toContain('app');
    expect(url.redacted).toContain('db1:5432,db2:5432/orders');
  });

  it('handles a password with no user name', () => {
    const url = parseConnectionUrl('redis://:s3cretpw@h');
    expect(url.username).toBeUndefined();
    expect(url.password).toBe('s3cretpw');
    expect(url.redacted).not.toContain('s3cretpw');
  });

  it('handles a user with no password', () => {
    const url = parseConnectionUrl('mysql://bob@h/db');
    expect(url.username).toBe('bob');
    expect(url.password).toBeUndefined();
    expect(url.redacted).toBe('mysql://bob@h/db');
  });

  it('redacts password-like query parameters', () => {
    const url = parseConnectionUrl('consul://h:8500?token=tok3nvalue&ttl=10');
    expect(url.params.get('token')).toBe('tok3nvalue');
    expect(url.redacted).not.toContain('tok3nvalue');
    expect(url.redacted).toContain('ttl=10');
  });
});

describe('parseConnectionUrl: path and query', () => {
  it('decodes %-escapes in the path', () => {
    expect(parseConnectionUrl('file:///tmp/a%20b/%C3%A9').path).toBe('/tmp/a b/é');
    expect(parseConnectionUrl('zookeeper://h/my%2Fchroot').path).toBe('/my/chroot');
  });

  it('keeps query parameters, repeated ones included, decoded', () => {
    const url = parseConnectionUrl('redis://h/0?db=1&a=b&a=c&name=x%20y&flag');
    expect(url.params.get('db')).toBe('1');
    expect(url.params.getAll('a')).toEqual(['b', 'c']);
    expect(url.params.get('name')).toBe('x y');
    expect(url.params.has('flag')).toBe(true);
    expect(url.path).toBe('/0');
  });

  it('ignores a fragment', () => {
    const url = parseConnectionUrl('redis://h:6379/2?x=1#frag');
    expect(url.path).toBe('/2');
    expect([...url.params]).toEqual([['x', '1']]);
  });

  it('parses file:///tmp/x as no host and an absolute path', () => {
    const url = parseConnectionUrl('file:///tmp/x');
    expect(url.scheme).toBe('file');
    expect(url.hosts).toEqual([]);
    expect(url.path).toBe('/tmp/x');
  });

  it('parses memory:// as no host, no path, no params', () => {
    const url = parseConnectionUrl('memory://');
    expect(url.scheme).toBe('memory');
    expect(url.hosts).toEqual([]);
    expect(url.path).toBe('');
    expect([...url.params]).toEqual([]);
    expect(url.redacted).toBe('memory://');
  });
});

describe('parseConnectionUrl: refusals', () => {
  it.each([
    ['redis://h:0', 'url.port'],
    ['redis://h:65536', 'url.port'],
    ['etcd://h1:2379,h2:99999', 'url.port'],
    ['redis://h:abc', 'url.host'],
    ['redis://[::1', 'url.host'],
    ['redis://h]:1', 'url.host'],
    ['redis://h/%zz', 'url.path'],
    ['redis://u:%zz@h', 'url.password'],
    ['redis://%zz:pw@h', 'url.username'],
    ['redis://[::1]:x', 'url.host'],
  ])('%s → InvalidArgumentError on %s', (text, field) => {
    const error = invalid(() => parseConnectionUrl(text));
    expect(error.field).toBe(field);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(field);
  });

  it.each(['nope', 'redis//h', '://h', '', '1redis://h', 'redis:/h'])('malformed %j → field "url"', (text) => {
    expect(invalid(() => parseConnectionUrl(text)).field).toBe('url');
  });

  it('refuses a non-string', () => {
    expect(invalid(() => parseConnectionUrl(42 as unknown as string)).field).toBe('url');
  });

  it('names the bad port in the message', () => {
    expect(invalid(() => parseConnectionUrl('redis://h:70000')).message).toContain('70000');
  });

  it('never puts the password in the error when the URL parses up to a bad host', () => {
    // The userinfo is parsed (and its password remembered) before the host is refused.
    const error = invalid(() => parseConnectionUrl('redis://u:pa55word@h:bad'));
    expect(error.field).toBe('url.host');
    expect(error.message).not.toContain('pa55word');
  });

  // KNOWN BUG (src/connect/connection-url.ts, parseConnectionUrl): when the URL
  // fails the overall shape check, the message echoes `redact(text)`, and
  // redact() only masks userinfo after "://"; the password was never registered,
  // so a one-character typo in the scheme separator prints it in clear.
  it('never puts the password of a URL with a mistyped "://" in the error message', () => {
    const error = invalid(() => parseConnectionUrl('redis:/u:pa66word@h'));
    expect(error.message).not.toContain('pa66word');
  });

  // KNOWN BUG (src/connect/connection-url.ts, SHAPE + parseHost): a password
  // holding an unescaped "/", "?" or "#" ends the authority early, so
  // "user:first-part-of-password" is parsed as host:port and echoed by the
  // url.host error.
  it('takes a password holding an unescaped "/" whole, and never shows it', () => {
    const url = parseConnectionUrl('redis://admin:s3cr/etpw@host:6379/0');
    expect(url.password).toBe('s3cr/etpw');
    expect(url.hosts).toEqual([{ host: 'host', port: 6379 }]);
    expect(url.path).toBe('/0');
    expect(url.redacted).not.toContain('s3cr');
    const error = invalid(() => parseConnectionUrl('redis://admin:s3cr/etpw@host:99999'));
    expect(error.message).not.toContain('s3cr');
  });

  // KNOWN BUG (cosmetic): the message's own template "scheme://[user[:password]@]..."
  // matches redact()'s userinfo pattern, so users read "scheme://[user[:***@]host".
  it('shows the expected URL form unmangled in the malformed-URL message', () => {
    expect(invalid(() => parseConnectionUrl('nope')).message).toContain('[user[:password]@]');
  });
});
