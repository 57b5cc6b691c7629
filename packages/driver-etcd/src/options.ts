import { readFileSync } from 'node:fs';
import { type ConnectionUrl, duration, InvalidArgumentError, parseOptions, registerSecret } from '@tooz/core';
import { z } from 'zod';

/** Options of `etcd({...})`; `fromUrl` takes the same ones (snake_case too) from the query string. */
export interface EtcdDriverOptions {
  /** `host:port` or `http(s)://host:port`, one or several (default `127.0.0.1:2379`). */
  readonly hosts?: string | readonly string[];
  /** TLS to every host (implied by `https://` hosts and `etcds://` URLs). */
  readonly tls?: boolean;
  readonly username?: string;
  readonly password?: string;
  /** CA to trust, as a PEM file path or PEM text (tooz: `ca_cert`). */
  readonly caCert?: string;
  /** Client key and certificate for servers that verify clients (tooz: `cert_key`, `cert_cert`). */
  readonly certKey?: string;
  readonly certCert?: string;
  /** How long one request may take before it counts as a transport failure (ms; default 5 s). */
  readonly requestTimeout?: number | string;
  /**
   * `'native'` (default): fair queued locks under `<ns>/locks/<name>/`.
   * `'tooz'`: Python tooz's etcd3gw lock, one key `/<ns>/locks<name>`, so that
   * Python tooz processes and this SDK exclude each other (not fair; see the README).
   */
  readonly lockMode?: LockMode;
}

export const LOCK_MODES = ['native', 'tooz'] as const;
export type LockMode = (typeof LOCK_MODES)[number];

export interface ResolvedOptions {
  readonly hosts: readonly string[];
  readonly tls: boolean;
  readonly auth: { readonly username: string; readonly password: string } | undefined;
  readonly credentials: { rootCertificate: Buffer; privateKey?: Buffer; certChain?: Buffer } | undefined;
  readonly requestTimeout: number;
  readonly lockMode: LockMode;
}

const DEFAULT_HOST = '127.0.0.1:2379';

const pem = z.string().min(1, 'must be a PEM file path or PEM text');

const schema = z
  .object({
    hosts: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    tls: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional(),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    caCert: pem.optional(),
    certKey: pem.optional(),
    certCert: pem.optional(),
    // A bare number in a URL means seconds, as tooz's `timeout=30`.
    requestTimeout: duration('s').pipe(z.number().min(1, 'must be at least 1 ms')).default(5_000),
    // tooz's etcd3gw picks a grpc-gateway path; this driver speaks gRPC, so it is accepted and ignored.
    apiVersion: z.string().optional(),
    lockMode: z.enum(LOCK_MODES, { message: `must be one of ${LOCK_MODES.join(', ')}` }).default('native'),
  })
  .strict()
  .refine((o) => (o.certKey === undefined) === (o.certCert === undefined), {
    message: 'certKey and certCert go together',
    path: ['certKey'],
  });

/** tooz's query parameter names. */
const ALIASES: Readonly<Record<string, string>> = {
  ca_cert: 'caCert',
  cert_key: 'certKey',
  cert_cert: 'certCert',
  request_timeout: 'requestTimeout',
  api_version: 'apiVersion',
  lock_mode: 'lockMode',
  user: 'username',
};

/** tooz's executor kinds (`utils.ProxyExecutor`): accepted in URLs and ignored, anything else refused as tooz does. */
const EXECUTORS = ['threaded', 'thread', 'threading', 'synchronous', 'sync'];

function normalise(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) out[ALIASES[key] ?? key] = value;
  }
  return out;
}

function readPem(field: string, value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  if (value.includes('-----BEGIN')) return Buffer.from(value);
  try {
    return readFileSync(value);
  } catch (error) {
    throw new InvalidArgumentError(field, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function hostUrl(host: string, tls: boolean): string {
  if (/^https?:\/\//.test(host)) return host;
  return `${tls ? 'https' : 'http'}://${host}`;
}

/** Validates and resolves driver options; throws InvalidArgumentError naming the field. */
export function resolveOptions(input: Readonly<Record<string, unknown>>, root = 'options'): ResolvedOptions {
  const parsed = parseOptions(schema, normalise(input), root);
  registerSecret(parsed.password);
  const given = parsed.hosts === undefined ? [DEFAULT_HOST] : [parsed.hosts].flat();
  const secure = given.filter((h) => h.startsWith('https://')).length;
  if (secure > 0 && secure < given.length) {
    throw new InvalidArgumentError(`${root}.hosts`, 'mixes http:// and https:// hosts');
  }
  const tls = parsed.tls ?? (secure > 0 || parsed.caCert !== undefined);
  if (!tls && secure > 0) throw new InvalidArgumentError(`${root}.tls`, 'is false but the hosts are https://');
  const hosts = given.map((h) => hostUrl(h, tls));
  if (parsed.password !== undefined && parsed.username === undefined) {
    throw new InvalidArgumentError(`${root}.username`, 'is required with a password');
  }
  const rootCertificate = readPem(`${root}.caCert`, parsed.caCert);
  const privateKey = readPem(`${root}.certKey`, parsed.certKey);
  const certChain = readPem(`${root}.certCert`, parsed.certCert);
  if (!tls && (rootCertificate || privateKey)) {
    throw new InvalidArgumentError(
      `${root}.${rootCertificate ? 'caCert' : 'certKey'}`,
      'needs TLS (etcds:// or https:// hosts)',
    );
  }
  return {
    hosts,
    tls,
    auth: parsed.username === undefined ? undefined : { username: parsed.username, password: parsed.password ?? '' },
    // Without a CA of our own, grpc's default roots are used (createSsl with no arguments).
    credentials:
      rootCertificate || privateKey
        ? {
            rootCertificate: rootCertificate ?? Buffer.alloc(0),
            ...(privateKey ? { privateKey } : {}),
            ...(certChain ? { certChain } : {}),
          }
        : undefined,
    requestTimeout: parsed.requestTimeout,
    lockMode: parsed.lockMode,
  };
}

/**
 * TLS by scheme. `etcd3://` (tooz 3.1.0's python-etcd3 driver) uses TLS when
 * given a `ca_cert`, as python-etcd3 does; `etcd://` (tooz 3.1.0's etcd v2
 * driver) when given `protocol=https`.
 */
const SCHEMES: Readonly<Record<string, boolean | 'ca_cert' | 'protocol'>> = {
  etcd: 'protocol',
  etcd3: 'ca_cert',
  'etcd3+http': false,
  etcds: true,
  'etcd3+https': true,
};

/** tooz's URL-only `executor` (ignored) and `protocol` (TLS on `etcd://` only): validated, then taken out. */
function takeToozOnly(options: Record<string, unknown>): { protocol: 'http' | 'https' | undefined } {
  const { executor, protocol } = options;
  delete options.executor;
  delete options.protocol;
  if (executor !== undefined && !EXECUTORS.includes(String(executor))) {
    throw new InvalidArgumentError('options.executor', `must be one of ${EXECUTORS.join(', ')} (tooz's executors)`);
  }
  if (protocol !== undefined && protocol !== 'http' && protocol !== 'https') {
    throw new InvalidArgumentError('options.protocol', 'must be http or https');
  }
  return { protocol };
}

/**
 * `etcd://[user:pass@]h1:2379,h2:2379[?options]`, `etcds://` for TLS; tooz's
 * `etcd3+http(s)://` and `etcd3://` too. Like every tooz etcd driver, the
 * path is ignored (tooz reads only the host and port), and so are tooz's
 * `executor` and `api_version`.
 */
export function optionsFromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): ResolvedOptions {
  const scheme = SCHEMES[url.scheme];
  if (scheme === undefined) throw new InvalidArgumentError('url', `scheme "${url.scheme}" is not an etcd scheme`);
  const hosts = url.hosts.map((h) => `${h.host || '127.0.0.1'}:${h.port ?? 2379}`);
  if (options.tls !== undefined)
    throw new InvalidArgumentError('options.tls', 'is set by the scheme: etcds:// for TLS');
  const merged: Record<string, unknown> = { ...options };
  const { protocol } = takeToozOnly(merged);
  if (hosts.length > 0) merged.hosts = hosts;
  if (scheme === 'protocol') merged.tls = protocol === 'https';
  else if (scheme === 'ca_cert') merged.tls = merged.ca_cert !== undefined || merged.caCert !== undefined;
  else merged.tls = scheme;
  if (url.username !== undefined) merged.username = url.username;
  if (url.password !== undefined) merged.password = url.password;
  return resolveOptions(merged);
}

/** A printable description: hosts only, never credentials. */
export function describe(options: ResolvedOptions): string {
  const scheme = options.tls ? 'etcds' : 'etcd';
  return `${scheme}://${options.hosts.map((h) => h.replace(/^https?:\/\//, '')).join(',')}`;
}
