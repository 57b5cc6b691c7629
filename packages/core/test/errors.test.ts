import { describe, expect, it } from 'vitest';
import {
  ConnectionError,
  driversSupporting,
  KNOWN_DRIVERS,
  GroupAlreadyExistsError,
  GroupNotEmptyError,
  GroupNotFoundError,
  InvalidArgumentError,
  isRetryable,
  isToozError,
  LockLostError,
  LockTimeoutError,
  MemberAlreadyJoinedError,
  MemberNotJoinedError,
  MembershipLostError,
  NotSupportedError,
  redact,
  registerSecret,
  ToozError,
  type ToozErrorCode,
  UnknownNodeError,
} from '@tooz/core';

// Registered secrets are process-wide, so every test below uses its own.

interface Case {
  readonly make: () => ToozError;
  readonly type: abstract new (...args: never[]) => ToozError;
  readonly code: ToozErrorCode;
  readonly name: string;
  readonly mentions: readonly string[];
}

const cases: Case[] = [
  {
    make: () => new LockLostError('inv-1', 'expired'),
    type: LockLostError,
    code: 'LOCK_LOST',
    name: 'LockLostError',
    mentions: ['inv-1', 'expired'],
  },
  {
    make: () => new LockTimeoutError('inv-2', 250),
    type: LockTimeoutError,
    code: 'LOCK_TIMEOUT',
    name: 'LockTimeoutError',
    mentions: ['inv-2', '250'],
  },
  {
    make: () => new MembershipLostError('workers', 'api-7', 'session-lost'),
    type: MembershipLostError,
    code: 'MEMBERSHIP_LOST',
    name: 'MembershipLostError',
    mentions: ['workers', 'api-7', 'session-lost'],
  },
  {
    make: () => new GroupNotFoundError('g1'),
    type: GroupNotFoundError,
    code: 'GROUP_NOT_FOUND',
    name: 'GroupNotFoundError',
    mentions: ['g1'],
  },
  {
    make: () => new GroupAlreadyExistsError('g2'),
    type: GroupAlreadyExistsError,
    code: 'GROUP_ALREADY_EXISTS',
    name: 'GroupAlreadyExistsError',
    mentions: ['g2'],
  },
  {
    make: () => new GroupNotEmptyError('g3'),
    type: GroupNotEmptyError,
    code: 'GROUP_NOT_EMPTY',
    name: 'GroupNotEmptyError',
    mentions: ['g3'],
  },
  {
    make: () => new MemberAlreadyJoinedError('g4', 'm4'),
    type: MemberAlreadyJoinedError,
    code: 'MEMBER_ALREADY_JOINED',
    name: 'MemberAlreadyJoinedError',
    mentions: ['g4', 'm4'],
  },
  {
    make: () => new MemberNotJoinedError('g5', 'm5'),
    type: MemberNotJoinedError,
    code: 'MEMBER_NOT_JOINED',
    name: 'MemberNotJoinedError',
    mentions: ['g5', 'm5'],
  },
  {
    make: () => new NotSupportedError('ipc', 'groups', ['etcd']),
    type: NotSupportedError,
    code: 'NOT_SUPPORTED',
    name: 'NotSupportedError',
    mentions: ['ipc', 'groups', 'etcd'],
  },
  {
    make: () => new InvalidArgumentError('options.ttl', 'must be at least 10 ms'),
    type: InvalidArgumentError,
    code: 'INVALID_ARGUMENT',
    name: 'InvalidArgumentError',
    mentions: ['options.ttl', 'must be at least 10 ms'],
  },
  {
    make: () => new ConnectionError('socket closed'),
    type: ConnectionError,
    code: 'CONNECTION',
    name: 'ConnectionError',
    mentions: ['socket closed'],
  },
  {
    make: () => new UnknownNodeError('node-9'),
    type: UnknownNodeError,
    code: 'UNKNOWN_NODE',
    name: 'UnknownNodeError',
    mentions: ['node-9'],
  },
];

describe('error classes', () => {
  it.each(cases)('$name has code $code, its own name, and extends ToozError and Error', ({
    make,
    type,
    code,
    name,
    mentions,
  }) => {
    const error = make();
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(ToozError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(isToozError(error)).toBe(true);
    expect(isToozError(error, code)).toBe(true);
    for (const text of mentions) expect(error.message).toContain(text);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
    expect(error.stack).toContain(name);
  });

  it('gives every class a distinct code', () => {
    const codes = cases.map((c) => c.make().code);
    expect(new Set(codes).size).toBe(cases.length);
  });

  it('isToozError tells codes apart and refuses foreign errors', () => {
    expect(isToozError(new GroupNotFoundError('g'), 'GROUP_ALREADY_EXISTS')).toBe(false);
    expect(isToozError(new Error('plain'))).toBe(false);
    expect(isToozError({ code: 'LOCK_LOST', message: 'duck' })).toBe(false);
    expect(isToozError(undefined)).toBe(false);
  });

  it('keeps the fields each class documents', () => {
    const lost = new LockLostError('l', 'stolen');
    expect([lost.lockName, lost.reason]).toEqual(['l', 'stolen']);
    const timeout = new LockTimeoutError('l', 5_000);
    expect([timeout.lockName, timeout.waitedMs]).toEqual(['l', 5_000]);
    const membership = new MembershipLostError('g', 'm', 'session-lost');
    expect([membership.groupId, membership.memberId, membership.reason]).toEqual(['g', 'm', 'session-lost']);
    expect(new InvalidArgumentError('capabilities.a', 'bad').field).toBe('capabilities.a');
    const unsupported = new NotSupportedError('ipc', 'groups', ['etcd', 'redis']);
    expect([unsupported.driver, unsupported.primitive, unsupported.supportedBy]).toEqual([
      'ipc',
      'groups',
      ['etcd', 'redis'],
    ]);
    expect(new UnknownNodeError('n').node).toBe('n');
  });
});

describe('cause', () => {
  it.each([
    ['LockLostError', (cause: unknown) => new LockLostError('l', 'expired', { cause })],
    ['MembershipLostError', (cause: unknown) => new MembershipLostError('g', 'm', 'expired', { cause })],
    ['ConnectionError', (cause: unknown) => new ConnectionError('x', { cause })],
  ])('%s keeps an Error cause as is', (_, make) => {
    const cause = new Error('ECONNRESET');
    const error = make(cause);
    expect(error.cause).toBe(cause);
  });

  it('keeps a ToozError cause as is', () => {
    const cause = new GroupNotFoundError('g');
    expect(new ConnectionError('x', { cause }).cause).toBe(cause);
  });

  it('turns a non-Error cause into an Error carrying its text', () => {
    const error = new ConnectionError('x', { cause: 'socket hang up' });
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.cause?.message).toBe('socket hang up');
  });

  it('has no cause when none is given', () => {
    const error = new ConnectionError('x');
    expect(error.cause).toBeUndefined();
    expect(new GroupNotFoundError('g').cause).toBeUndefined();
  });

  it('ConnectionError is retryable unless told otherwise, and isRetryable agrees', () => {
    expect(new ConnectionError('x').retryable).toBe(true);
    expect(isRetryable(new ConnectionError('x'))).toBe(true);
    const final = new ConnectionError('bad credentials', { retryable: false });
    expect(final.retryable).toBe(false);
    expect(isRetryable(final)).toBe(false);
    expect(isRetryable(new LockTimeoutError('l', 1))).toBe(false);
    expect(isRetryable(new Error('x'))).toBe(false);
  });
});

describe('redact()', () => {
  it('masks the password of URL userinfo, keeping scheme, user and host', () => {
    const out = redact('cannot reach redis://app:hunter2@db.example:6379/0 (timeout)');
    expect(out).not.toContain('hunter2');
    expect(out).toContain('redis://app:');
    expect(out).toContain('@db.example:6379/0 (timeout)');
  });

  it('masks every URL in a text, multi-host and compound schemes too', () => {
    const out = redact('tried etcd://u:pw-one@h1:2379,h2:2379 then redis+sentinel://:pw-two@s1:26379');
    expect(out).not.toContain('pw-one');
    expect(out).not.toContain('pw-two');
    expect(out).toContain('h1:2379,h2:2379');
  });

  it('masks password-like query parameters and leaves the others', () => {
    const out = redact('consul://h?token=t0ken-value&ttl=10&password=p4ss-value&pwd=x1&secret=s3&auth=a4');
    for (const secret of ['t0ken-value', 'p4ss-value', 'x1', 's3', 'a4']) expect(out).not.toContain(secret);
    expect(out).toContain('ttl=10');
  });

  it('leaves text with no credential unchanged', () => {
    const text = 'Lock "invoice-42" was not acquired within 5000 ms; see http://example.org/docs?page=2';
    expect(redact(text)).toBe(text);
  });

  // KNOWN GAP (src/errors/redact.ts, PASSWORD_PARAM): the `\b` before the name
  // means prefixed names such as tooz's memcached `ssl_key_password` or an
  // `api_token` are not masked unless the value was registered separately.
  it('masks prefixed password-like parameters such as ssl_key_password', () => {
    expect(redact('memcached://h?ssl_key_password=kp-value-9')).not.toContain('kp-value-9');
  });
});

describe('registerSecret()', () => {
  it('masks a registered secret in the message of errors built afterwards', () => {
    registerSecret('zq-secret-alpha');
    const error = new ConnectionError('AUTH failed: invalid password zq-secret-alpha for user app');
    expect(error.message).not.toContain('zq-secret-alpha');
    expect(error.message).toContain('AUTH failed');
    expect(String(error)).not.toContain('zq-secret-alpha');
    expect(error.stack).not.toContain('zq-secret-alpha');
    expect(redact('x zq-secret-alpha y')).toBe('x *** y');
  });

  it('masks it in every error class, whatever field carries it', () => {
    registerSecret('zq-secret-beta');
    expect(new InvalidArgumentError('options.password', 'zq-secret-beta is too short').message).not.toContain(
      'zq-secret-beta',
    );
    expect(new GroupNotFoundError('zq-secret-beta').message).not.toContain('zq-secret-beta');
    expect(new LockLostError('a-zq-secret-beta-b', 'expired').message).not.toContain('zq-secret-beta');
  });

  it('masks the %-encoded form of a registered secret', () => {
    registerSecret('p@ss w0rd/zq');
    const message = new ConnectionError('GET /login?u=a&p=p%40ss%20w0rd%2Fzq failed').message;
    expect(message).not.toContain('p%40ss%20w0rd%2Fzq');
    expect(message).toContain('/login?u=a&p=');
  });

  it("masks it in a wrapped cause's message (normaliseCause), keeping the cause's name", () => {
    registerSecret('zq-secret-gamma');
    const cause = new TypeError('server said: WRONGPASS zq-secret-gamma');
    const error = new ConnectionError('x', { cause });
    expect(error.message).toBe('x');
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.cause?.message).not.toContain('zq-secret-gamma');
    expect(error.cause?.message).toContain('WRONGPASS');
    expect(error.cause?.name).toBe('TypeError');
    // The caller's own error object is left alone.
    expect(cause.message).toContain('zq-secret-gamma');
  });

  it('masks it in a non-Error cause', () => {
    registerSecret('zq-secret-delta');
    const error = new LockLostError('l', 'expired', { cause: 'reply: zq-secret-delta' });
    expect(error.cause?.message).toBe('reply: ***');
  });

  it('masks URL passwords in a cause even when never registered', () => {
    const error = new ConnectionError('x', {
      cause: new Error('connect ECONNREFUSED redis://u:unregistered-pw@h:6379'),
    });
    expect(error.cause?.message).not.toContain('unregistered-pw');
  });

  // KNOWN GAP (src/errors/tooz-error.ts, normaliseCause): only the first cause
  // is cleaned; a clean wrapper is kept as is, with its own `cause` chain, so a
  // secret one level down reaches loggers that print causes.
  it("masks a registered secret in a cause's own cause", () => {
    registerSecret('zq-secret-epsilon');
    const inner = new Error('NOAUTH zq-secret-epsilon');
    const error = new ConnectionError('x', { cause: new Error('client failed', { cause: inner }) });
    const nested = (error.cause as Error & { cause?: Error }).cause;
    expect(nested?.message ?? '').not.toContain('zq-secret-epsilon');
  });

  it('ignores secrets shorter than 3 characters, which would mangle unrelated text', () => {
    registerSecret('ab');
    registerSecret(undefined);
    registerSecret('');
    expect(new GroupNotFoundError('tabby').message).toContain('tabby');
  });
});

describe('NotSupportedError', () => {
  it('names the driver, the primitive and the drivers that support it', () => {
    const error = new NotSupportedError('ipc', 'groups', driversSupporting('groups'));
    expect(error.message).toContain('ipc');
    expect(error.message).toContain('groups');
    for (const name of ['zookeeper', 'etcd', 'redis', 'postgres', 'file']) {
      expect(error.message).toContain(name);
    }
  });

  it('driversSupporting lists published drivers only: not the test memory driver, not planned ones, not those lacking it', () => {
    const groups = driversSupporting('groups');
    expect(groups).toContain('etcd');
    expect(groups).not.toContain('memory');
    expect(driversSupporting('locks')).toContain('file');
    // Planned drivers are not published: never offered as an alternative; nor one lacking the primitive.
    for (const primitive of ['groups', 'leadership', 'locks', 'fencing'] as const) {
      for (const name of driversSupporting(primitive)) {
        const driver = KNOWN_DRIVERS.find((known) => known.name === name);
        expect({ name, status: driver?.status, has: driver?.primitives.includes(primitive) }).toEqual({
          name,
          status: 'available',
          has: true,
        });
      }
    }
  });

  it('reads well when no driver supports it', () => {
    const error = new NotSupportedError('x', 'breakLock', []);
    expect(error.message).toBe('The x driver does not support breakLock');
  });
});
