import {
  type ConnectionUrl,
  duration,
  flag,
  hostList,
  InvalidArgumentError,
  parseDriverOptions,
  pem,
  secret,
} from '@tooz/core/driver';
import { z } from 'zod';

/** Options of `etcd({...})`; `fromUrl` takes the same ones (snake_case too) from the query string. */
export interface EtcdOptions {
  /** `host:port` or `http(s)://host:port`, one or several (default `127.0.0.1:2379`). */
  readonly hosts?: string | readonly string[];
  /** TLS to every host (implied by `https://` hosts and `etcds://` URLs). */
  readonly tls?: boolean;
  /** User name for etcd authentication. */
  readonly username?: string;
  /** Password for etcd authentication; masked in errors. */
  readonly password?: string;
  /** CA to trust, as a PEM file path or PEM text (tooz: `ca_cert`). */
  readonly caCert?: string;
  /** Client key and certificate for servers that verify clients (tooz: `cert_key`, `cert_cert`). */
  readonly certKey?: string;
  /** The client certificate, as a PEM file path or PEM text. */
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
/** How locks are stored: `native` (fair, queued) or `tooz` (shared with Python tooz); see `EtcdOptions.lockMode`. */
export type LockMode = (typeof LOCK_MODES)[number];

/** Parsed options, as the session uses them. */
export interface EtcdSettings {
  /** `http(s)://host:port` each. */
  readonly hosts: readonly string[];
  /** Whether the hosts are reached over TLS. */
  readonly tls: boolean;
  /** User and password, when given. */
  readonly auth:
    | {
        /** etcd user name. */
        readonly username: string;
        /** Its password. */
        readonly password: string;
      }
    | undefined;
  /** CA, client key and certificate for TLS, read from the options. */
  readonly credentials:
    | {
        /** CA to trust, PEM. */
        rootCertificate: Buffer;
        /** Client private key, PEM. */
        privateKey?: Buffer;
        /** Client certificate, PEM. */
        certChain?: Buffer;
      }
    | undefined;
  /** Milliseconds one request may take. */
  readonly requestTimeout: number;
  /** How locks are stored. */
  readonly lockMode: LockMode;
}

const DEFAULT_PORT = 2379;
const SCHEME = /^(https?):\/\//;

/** Hosts as `host[:port]`, each optionally behind `http://` or `https://`. */
const hosts = z.union([z.string(), z.array(z.string())]).transform((value, ctx) => {
  const items = (typeof value === 'string' ? value.split(',') : value).map((item) => item.trim());
  const parsed = hostList.safeParse(items.map((item) => item.replace(SCHEME, '')));
  if (!parsed.success) {
    ctx.addIssue({ code: 'custom', message: parsed.error.issues[0]?.message ?? 'is not a host list' });
    return z.NEVER;
  }
  return parsed.data.map((host, i) => ({ ...host, scheme: SCHEME.exec(items[i] ?? '')?.[1] }));
});

const schema = z
  .object({
    hosts: hosts.optional(),
    tls: flag.optional(),
    username: z.string().min(1).optional(),
    password: secret.optional(),
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

/** Validates and resolves driver options; throws InvalidArgumentError naming the field. */
export function parseEtcdOptions(input: Readonly<Record<string, unknown>>, root = 'options'): EtcdSettings {
  const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
  const parsed = parseDriverOptions(schema, given, ALIASES, root);
  const list = parsed.hosts ?? [{ host: '127.0.0.1', port: DEFAULT_PORT, scheme: undefined }];
  const secure = list.filter((h) => h.scheme === 'https').length;
  if (secure > 0 && list.some((h) => h.scheme === 'http')) {
    throw new InvalidArgumentError(`${root}.hosts`, 'mixes http:// and https:// hosts');
  }
  const tls = parsed.tls ?? (secure > 0 || parsed.caCert !== undefined);
  if (!tls && secure > 0) throw new InvalidArgumentError(`${root}.tls`, 'is false but the hosts are https://');
  if (parsed.password !== undefined && parsed.username === undefined) {
    throw new InvalidArgumentError(`${root}.username`, 'is required with a password');
  }
  const { caCert: rootCertificate, certKey: privateKey, certCert: certChain } = parsed;
  if (!tls && (rootCertificate || privateKey)) {
    throw new InvalidArgumentError(
      `${root}.${rootCertificate ? 'caCert' : 'certKey'}`,
      'needs TLS (etcds:// or https:// hosts)',
    );
  }
  return {
    hosts: list.map(({ host, port }) => {
      const name = host.includes(':') ? `[${host}]` : host;
      return `${tls ? 'https' : 'http'}://${name}:${port ?? DEFAULT_PORT}`;
    }),
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

/** tooz's executor kinds (`utils.ProxyExecutor`): accepted in URLs and ignored, anything else refused as tooz does. */
const EXECUTORS = ['threaded', 'thread', 'threading', 'synchronous', 'sync'];

/**
 * Whether a scheme implies TLS. `etcd3://` (tooz 3.1.0's python-etcd3 driver)
 * uses TLS when given a `ca_cert`, as python-etcd3 does; `etcd://` (tooz
 * 3.1.0's etcd v2 driver) when given `protocol=https`; otherwise both follow
 * `tls` (default off).
 */
function schemeTls(scheme: string, options: Readonly<Record<string, unknown>>): boolean | undefined {
  switch (scheme) {
    case 'etcds':
    case 'etcd3+https':
      return true;
    case 'etcd3+http':
      return false;
    case 'etcd':
      return options.protocol === undefined ? undefined : options.protocol === 'https';
    case 'etcd3':
      return options.ca_cert !== undefined || options.caCert !== undefined ? true : undefined;
    default:
      throw new InvalidArgumentError('url', `scheme "${scheme}" is not an etcd scheme`);
  }
}

/**
 * `etcd://[user:pass@]h1:2379,h2:2379[?options]`, `etcds://` for TLS; tooz's
 * `etcd3+http(s)://` and `etcd3://` too. Like every tooz etcd driver, the
 * path is ignored (tooz reads only the host and port), and so are tooz's
 * `executor` and `api_version`.
 */
export function parseEtcdUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): EtcdSettings {
  const { executor, protocol, ...rest } = options;
  if (executor !== undefined && !EXECUTORS.includes(String(executor))) {
    throw new InvalidArgumentError('options.executor', `must be one of ${EXECUTORS.join(', ')} (tooz's executors)`);
  }
  if (protocol !== undefined && protocol !== 'http' && protocol !== 'https') {
    throw new InvalidArgumentError('options.protocol', 'must be http or https');
  }
  const byScheme = schemeTls(url.scheme, options);
  const merged: Record<string, unknown> = { ...rest, tls: rest.tls ?? byScheme ?? false };
  if (url.hosts.length > 0) {
    merged.hosts = url.hosts.map(({ host, port }) => {
      const name = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host || '127.0.0.1';
      return `${name}:${port ?? DEFAULT_PORT}`;
    });
  }
  if (url.username !== undefined) merged.username = url.username;
  if (url.password !== undefined) merged.password = url.password;
  const settings = parseEtcdOptions(merged);
  if (byScheme !== undefined && settings.tls !== byScheme) {
    const by = protocol === undefined ? `${url.scheme}://` : `protocol=${String(protocol)}`;
    throw new InvalidArgumentError('options.tls', `contradicts ${by}`);
  }
  return settings;
}

/** A printable description: hosts only, never credentials. */
export function describe(settings: EtcdSettings): string {
  const scheme = settings.tls ? 'etcds' : 'etcd';
  return `${scheme}://${settings.hosts.map((h) => h.replace(SCHEME, '')).join(',')}`;
}
