import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  type CapabilityDescriptor,
  type Coordinator,
  ConnectionError,
  connect,
  InvalidArgumentError,
  isToozError,
} from '@tooz/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ForeignCerts, generateForeignCerts } from '../servers/foreign-certs.js';
import type { CertPaths } from '../servers/types.js';

/** What a backend lacks, said out loud: the suite registers a passing "not applicable" test naming the reason. */
export interface NotApplicable {
  /** Why, shown in the test's name. */
  readonly notApplicable: string;
}

/** A running server that accepts one secret (a password, a token, a digest) and nothing else. */
export interface CredentialedServer extends AsyncDisposable {
  /** A URL logging in with `secret` in its user-info, percent-encoded; `undefined`: no credentials at all. */
  url(secret: string | undefined): string;
  /** The same login with the secret as a `connect()` option, beside a URL that carries none. */
  withOption(secret: string): {
    /** A URL with no credentials. */
    readonly url: string;
    /** The `connect()` options carrying `secret`. */
    readonly options: Readonly<Record<string, unknown>>;
  };
}

/** How the security suite starts a server that requires a login. */
export interface CredentialsFixture {
  /** Starts a server that accepts `secret` only. Real servers: a missing binary fails the suite. */
  start(secret: string): Promise<CredentialedServer>;
  /** Where the backend checks credentials: at `connect()` (default), or only at the first operation. */
  readonly checkedAt?: 'connect' | 'first-operation';
}

/** A running server speaking TLS only, with certificates from its own test CA. */
export interface TlsServer extends AsyncDisposable {
  /** A URL asking for TLS with the server's certificate verified (e.g. `rediss://`, `?sslmode=verify-full`). */
  readonly url: string;
  /** The PEM files its certificate came from (the suite passes `certs.ca` as the CA option). */
  readonly certs: CertPaths;
}

/** How the security suite starts a server that speaks only TLS. */
export interface TlsFixture {
  /** Starts a TLS-only server with certificates from a test CA. */
  start(): Promise<TlsServer>;
  /**
   * The driver's option names for PEM files; each is refused with
   * InvalidArgumentError naming `options.<name>` when the file is missing.
   */
  readonly pem: {
    /** The option naming the CA to trust. */
    readonly ca: string;
    /** The option naming a client certificate, if the driver has one. */
    readonly cert?: string;
    /** The option naming a client key, if the driver has one. */
    readonly key?: string;
  };
}

/** What `securityConformance` needs from a driver's test. */
export interface SecurityTarget {
  /** The descriptor of the driver under test. */
  readonly capabilities: CapabilityDescriptor;
  /** How to start a server requiring a login, or why the backend has none. */
  readonly credentials: CredentialsFixture | NotApplicable;
  /**
   * TLS, or why not. `refuses` names a TLS option (in the URL) that must then
   * be refused with InvalidArgumentError naming it, rather than ignored.
   */
  readonly tls:
    | TlsFixture
    | (NotApplicable & {
        /** A TLS URL option the driver must refuse. */
        readonly refuses?: {
          /** Its name. */
          readonly option: string;
          /** A value to give it. */
          readonly value: string;
        };
      });
  /**
   * A URL of this backend for the option checks. Bad options are refused
   * before any connection, so it need not be reachable: a closed port will do.
   */
  readonly url: string;
  /** Extra `connect()` options for every attempt, e.g. a short `connectTimeout` so a refused TLS handshake is not retried for long. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Upper bound, in ms, on one connect attempt (a hang guard, never a speed assertion). Default 30 s. */
  readonly patience?: number;
}

const isNotApplicable = (value: object): value is NotApplicable => 'notApplicable' in value;

/**
 * A secret with every character a URL treats specially, between two random
 * alphanumeric markers. Finding either marker anywhere means the secret (or a
 * piece of it, encoded or not) leaked.
 */
function makeSecret(): { readonly value: string; readonly markers: readonly string[] } {
  const marker = () => randomBytes(9).toString('base64url').replace(/[-_]/g, 'x');
  const [head, tail] = [marker(), marker()];
  return { value: `${head}/@:?#%&=+${tail}`, markers: [head, tail] };
}

/** JSON that survives bigints and cycles, so the check itself cannot throw. */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_key: string, inner: unknown) => {
      if (typeof inner === 'bigint') return inner.toString();
      if (typeof inner === 'object' && inner !== null) {
        if (seen.has(inner)) return '[cycle]';
        seen.add(inner);
      }
      return inner;
    });
  } catch (error) {
    return `[unserialisable: ${String(error)}]`;
  }
}

/** Everything an error shows, down its `cause` chain: String(), message, stack, JSON, every property. */
export function everythingShown(value: unknown): string {
  const parts: string[] = [inspect(value, { depth: 12, showHidden: true, getters: true })];
  let current: unknown = value;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    parts.push(String(current), safeJson(current));
    if (current instanceof Error) {
      // Own properties, enumerable or not (a client error's `command`, `options`, `config`…).
      const own = Object.fromEntries(
        Object.getOwnPropertyNames(current).map((key) => [key, (current as unknown as Record<string, unknown>)[key]]),
      );
      parts.push(current.message, current.stack ?? '', safeJson(own));
    }
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

const CONSOLE = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/** Runs `work` while recording what reaches the console, stdout, stderr and process warnings. */
async function capturingOutput<T>(work: () => Promise<T>): Promise<{ result: T; output: string }> {
  const spies = [
    ...CONSOLE.map((method) => vi.spyOn(console, method)),
    vi.spyOn(process.stdout, 'write'),
    vi.spyOn(process.stderr, 'write'),
  ];
  const warnings: unknown[] = [];
  const onWarning = (warning: unknown) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    const result = await work();
    const calls = [...spies.flatMap((spy) => spy.mock.calls as unknown[][]), ...warnings.map((w) => [w])];
    return { result, output: calls.map((args) => args.map((arg) => everythingShown(arg)).join(' ')).join('\n') };
  } finally {
    process.off('warning', onWarning);
    for (const spy of spies) spy.mockRestore();
  }
}

function expectHidden(text: string, secret: { value: string; markers: readonly string[] }, where: string): void {
  for (const form of [secret.value, encodeURIComponent(secret.value), ...secret.markers]) {
    expect(text.includes(form), `${where} shows the secret (or part of it: "${form}")`).toBe(false);
  }
}

/** Rejects with a descriptive error if `promise` has not settled within `ms`: a hang guard only. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** What the backend said when it was meant to refuse: the error, and whether connect() or the first operation raised it. */
interface Refusal {
  readonly error: unknown;
  readonly stage: 'connect' | 'first-operation';
}

/**
 * Registers the security scenarios: wrong or missing credentials refused with a
 * final ConnectionError, TLS verified (and refused against an unknown CA),
 * and secrets never shown in errors, logs or warnings.
 */
export function securityConformance(name: string, target: SecurityTarget): void {
  const patience = target.patience ?? 30_000;
  const { primitives } = target.capabilities;
  let members = 0;
  const memberId = () => `security-${++members}-${randomBytes(3).toString('hex')}`;
  const connectWith = (url: string, options: Readonly<Record<string, unknown>> = {}) =>
    within(connect(url, { ...target.options, ...options, memberId: memberId() }), patience, `connect(${name})`);

  /** One round trip that needs the backend's permission: a lock where there are locks, else the group list. */
  async function operate(coordinator: Coordinator): Promise<void> {
    const work = primitives.locks
      ? coordinator.acquire(`security-${randomBytes(4).toString('hex')}`, { wait: 0 }).then((lease) => lease.release())
      : coordinator.groups().then(() => undefined);
    await within(work, patience, `first operation (${name})`);
  }

  async function refusal(url: string, options: Readonly<Record<string, unknown>> = {}): Promise<Refusal> {
    let coordinator: Coordinator;
    try {
      coordinator = await connectWith(url, options);
    } catch (error) {
      return { error, stage: 'connect' };
    }
    try {
      await operate(coordinator);
    } catch (error) {
      return { error, stage: 'first-operation' };
    } finally {
      await coordinator.close().catch(() => undefined);
    }
    throw new Error(`${name}: expected a refusal, but connect() and a first operation both succeeded`);
  }

  /** A refusal must be a typed, final ConnectionError that says why. */
  function expectTypedRefusal(refused: Refusal, checkedAt: 'connect' | 'first-operation'): void {
    const { error, stage } = refused;
    const kind = error instanceof Error ? `${error.constructor.name}` : typeof error;
    // A ToozError's message is redacted, so it may be quoted; a raw error's may not.
    const said = isToozError(error) ? ` ("${error.message}")` : '';
    expect(isToozError(error), `expected a @tooz/core error, got a raw ${kind} from ${stage}`).toBe(true);
    expect(error, `expected ConnectionError, got ${kind} from ${stage}${said}`).toBeInstanceOf(ConnectionError);
    expect(
      (error as ConnectionError).retryable,
      `a refused login is final, but ${stage} raised a retryable ConnectionError${said}`,
    ).toBe(false);
    if (checkedAt === 'connect') {
      expect(stage, `the target says credentials are checked at connect(), but connect() succeeded${said}`).toBe(
        'connect',
      );
    }
  }

  describe(`${name} security`, () => {
    describe('credentials', () => {
      const fixture = target.credentials;
      if (isNotApplicable(fixture)) {
        it(`not applicable: ${fixture.notApplicable}`, () => {
          expect(fixture.notApplicable.trim()).not.toBe('');
        });
        return;
      }
      const checkedAt = fixture.checkedAt ?? 'connect';
      const right = makeSecret();
      let server: CredentialedServer | undefined;
      const started = () => {
        if (!server) throw new Error(`${name}: the credentialed server did not start (see beforeAll)`);
        return server;
      };
      beforeAll(async () => {
        server = await fixture.start(right.value);
      });
      afterAll(async () => {
        await server?.[Symbol.asyncDispose]();
      });

      const forms = {
        url: (secret: string) => ({ url: started().url(secret), options: {} }),
        option: (secret: string) => started().withOption(secret),
      };

      it.each(
        Object.keys(forms) as (keyof typeof forms)[],
      )('logs in with a secret full of URL-special characters given in the %s, and runs one lock', async (form) => {
        const login = forms[form](right.value);
        const coordinator = await connectWith(login.url, login.options);
        try {
          await operate(coordinator);
        } finally {
          await coordinator.close();
        }
      });

      it.each(
        Object.keys(forms) as (keyof typeof forms)[],
      )('refuses a wrong secret given in the %s with a typed, final error that never shows it', async (form) => {
        const wrong = makeSecret();
        const login = forms[form](wrong.value);
        const { result: refused, output } = await capturingOutput(() => refusal(login.url, login.options));
        expectTypedRefusal(refused, checkedAt);
        expect((refused.error as Error).message).toMatch(
          /credential|password|auth|denied|refused|access|permission|WRONGPASS/i,
        );
        expectHidden(everythingShown(refused.error), wrong, 'the error');
        expectHidden(everythingShown(refused.error), right, 'the error');
        expectHidden(output, wrong, 'the console or process output');
      });

      it('refuses a connection without credentials with a typed, final error', async () => {
        const refused = await refusal(started().url(undefined));
        expectTypedRefusal(refused, checkedAt);
        expectHidden(everythingShown(refused.error), right, 'the error');
      });

      it.each(
        Object.keys(forms) as (keyof typeof forms)[],
      )('never shows the secret given in the %s in driver.description, diagnose() or the output', async (form) => {
        const login = forms[form](right.value);
        const { result, output } = await capturingOutput(async () => {
          const coordinator = await connectWith(login.url, login.options);
          try {
            return {
              driver: coordinator.driver,
              diagnosis: await within(coordinator.diagnose(), patience, 'diagnose'),
            };
          } finally {
            await coordinator.close();
          }
        });
        expectHidden(result.driver.description, right, 'driver.description');
        expectHidden(everythingShown(result.driver), right, 'coordinator.driver');
        expectHidden(everythingShown(result.diagnosis), right, 'diagnose()');
        expectHidden(output, right, 'the console or process output');
      });
    });

    describe('TLS', () => {
      const fixture = target.tls;
      if (isNotApplicable(fixture)) {
        const refuses = 'refuses' in fixture ? fixture.refuses : undefined;
        it(`not applicable: ${fixture.notApplicable}`, () => {
          expect(fixture.notApplicable.trim()).not.toBe('');
        });
        if (refuses) {
          it(`refuses the TLS option ${refuses.option} rather than ignoring it, naming the field`, async () => {
            const error = await refusal(withParams(target.url, { [refuses.option]: refuses.value }));
            expect(error.error).toBeInstanceOf(InvalidArgumentError);
            expect((error.error as InvalidArgumentError).field).toBe(`options.${refuses.option}`);
          });
        }
        return;
      }
      let server: TlsServer | undefined;
      let foreign: ForeignCerts | undefined;
      const started = () => {
        if (!server || !foreign) throw new Error(`${name}: the TLS server did not start (see beforeAll)`);
        return { server, foreign };
      };
      beforeAll(async () => {
        foreign = await generateForeignCerts();
        server = await fixture.start();
      });
      afterAll(async () => {
        await server?.[Symbol.asyncDispose]();
        await foreign?.[Symbol.asyncDispose]();
      });

      it("connects trusting the server's CA, and runs one lock", async () => {
        const { server } = started();
        const coordinator = await connectWith(server.url, { [fixture.pem.ca]: server.certs.ca });
        try {
          await operate(coordinator);
        } finally {
          await coordinator.close();
        }
      });

      it('refuses a server it cannot verify when given no CA, with a typed error', async () => {
        const refused = await refusal(started().server.url);
        expect(isToozError(refused.error), 'expected a @tooz/core error, not a raw client error').toBe(true);
        expect(refused.error).toBeInstanceOf(ConnectionError);
      });

      it('refuses a server signed by another CA, with a typed error', async () => {
        const { server, foreign } = started();
        const refused = await refusal(server.url, { [fixture.pem.ca]: foreign.ca });
        expect(isToozError(refused.error), 'expected a @tooz/core error, not a raw client error').toBe(true);
        expect(refused.error).toBeInstanceOf(ConnectionError);
      });

      const roles = (['ca', 'cert', 'key'] as const).filter((role) => fixture.pem[role] !== undefined);
      it.each(
        roles,
      )('refuses a missing PEM file for the %s option with InvalidArgumentError naming it', async (role) => {
        const { server, foreign } = started();
        const files = { ca: server.certs.ca, cert: server.certs.clientCert, key: server.certs.clientKey };
        const options: Record<string, unknown> = {};
        for (const other of roles) options[fixture.pem[other] as string] = files[other];
        const option = fixture.pem[role] as string;
        options[option] = join(foreign.dir, 'missing', `${role}.pem`);
        const refused = await refusal(server.url, options);
        expect(refused.error).toBeInstanceOf(InvalidArgumentError);
        expect((refused.error as InvalidArgumentError).field).toBe(`options.${option}`);
      });
    });

    describe('options', () => {
      it('refuses a mistyped credential parameter naming the field, never showing its value', async () => {
        const secret = makeSecret();
        for (const attempt of [
          () => refusal(withParams(target.url, { pasword: secret.value })),
          () => refusal(target.url, { pasword: secret.value }),
        ]) {
          const refused = await attempt();
          expect(refused.error).toBeInstanceOf(InvalidArgumentError);
          expect((refused.error as InvalidArgumentError).field).toBe('options.pasword');
          expectHidden(everythingShown(refused.error), secret, 'the error');
        }
      });

      it('refuses an unknown secret-like parameter naming the field, never showing its value', async () => {
        const secret = makeSecret();
        const refused = await refusal(withParams(target.url, { api_secret: secret.value }));
        expect(refused.error).toBeInstanceOf(InvalidArgumentError);
        expect((refused.error as InvalidArgumentError).field).toMatch(/^options\.(api_secret|apiSecret)$/);
        expectHidden(everythingShown(refused.error), secret, 'the error');
      });
    });
  });
}

/** `url` with these query parameters appended, percent-encoded. */
function withParams(url: string, params: Readonly<Record<string, string>>): string {
  const query = new URLSearchParams(params).toString();
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}
