import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flag, hostList, InvalidArgumentError, parseDriverOptions, pem, port, redact, secret } from '@tooz/core/driver';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const schema = z
  .object({
    tls: flag.optional(),
    port: port.optional(),
    hosts: hostList.optional(),
    ca: pem.optional(),
    password: secret.optional(),
    aclToken: z.string().optional(),
  })
  .strict();
const parse = (input: Record<string, unknown>) => parseDriverOptions(schema, input, { acl_token: 'aclToken' });

describe('driver option pieces', () => {
  it('spells booleans one way on every driver', () => {
    for (const yes of ['1', 'true', 'TRUE', 'yes', 'on', true]) expect(parse({ tls: yes }).tls).toBe(true);
    for (const no of ['0', 'false', 'no', 'off', false]) expect(parse({ tls: no }).tls).toBe(false);
    expect(() => parse({ tls: 'maybe' })).toThrow(/options\.tls.*not a boolean/);
  });

  it('reads host lists with IPv6 and optional ports, and refuses a bad one naming the field', () => {
    expect(parse({ hosts: 'a:1,[::1]:2,b' }).hosts).toEqual([
      { host: 'a', port: 1 },
      { host: '::1', port: 2 },
      { host: 'b', port: undefined },
    ]);
    expect(parse({ hosts: [{ host: 'c', port: 3 }] }).hosts).toEqual([{ host: 'c', port: 3 }]);
    const error = (() => {
      try {
        parse({ hosts: 'a:99999' });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).message).toMatch(/options\.hosts/);
    expect(() => parse({ port: '0' })).toThrow(/options\.port/);
  });

  it('takes PEM text or a file, and names the field of a file it cannot read', () => {
    const path = join(tmpdir(), `kit-pem-${process.pid}.pem`);
    writeFileSync(path, '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
    expect(parse({ ca: path }).ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(parse({ ca: '-----BEGIN CERTIFICATE-----' }).ca?.toString()).toBe('-----BEGIN CERTIFICATE-----');
    expect(() => parse({ ca: '/nonexistent/ca.pem' })).toThrow(/options\.ca.*ENOENT/);
  });

  it('registers secrets for redaction before anything can fail, and renames tooz aliases', () => {
    expect(() => parse({ password: 'kit-secret-1', tls: 'maybe' })).toThrow();
    expect(redact('auth failed for kit-secret-1')).not.toContain('kit-secret-1');
    expect(parse({ acl_token: 't' }).aclToken).toBe('t');
    expect(() => parse({ acl_token: 't', aclToken: 'u' })).toThrow(/options\.acl_token/);
    expect(() => parse({ acl_token: 7 })).toThrow(/options\.acl_token/);
  });
});
