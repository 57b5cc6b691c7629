import { ConnectionError, registerDriver } from '@tooz/core';
import { fromUrl, memoryCapabilities } from '@tooz/testing';
import { everythingShown, securityConformance } from '@tooz/testing/conformance';
import { describe, expect, it } from 'vitest';

// The registrar itself, on a backend with neither credentials nor TLS: only the option checks apply.
registerDriver('memory', { fromUrl });

securityConformance('memory', {
  capabilities: memoryCapabilities,
  credentials: { notApplicable: 'an in-process server: nothing logs in' },
  tls: { notApplicable: 'an in-process server: no network' },
  url: 'memory://security',
});

describe('everythingShown, the leak detector', () => {
  const secret = 'Zq7-detector-secret';

  it('finds a secret in a non-enumerable property of a nested cause', () => {
    const inner = new Error('handshake failed');
    Object.defineProperty(inner, 'config', { value: { password: secret }, enumerable: false });
    const error = new ConnectionError('refused', { cause: new Error('wrapped', { cause: inner }) });
    expect(everythingShown(error)).toContain(secret);
  });

  it("finds a secret in a client error's command arguments (as ioredis keeps them)", () => {
    const raw = Object.assign(new Error('WRONGPASS'), { command: { name: 'auth', args: ['app', secret] } });
    expect(everythingShown(new ConnectionError('refused', { cause: raw }))).toContain(secret);
  });

  it('does not throw on bigints or cycles', () => {
    const cyclic: Record<string, unknown> = { token: 1n };
    cyclic.self = cyclic;
    expect(() => everythingShown(Object.assign(new Error('x'), { cyclic }))).not.toThrow();
  });
});
