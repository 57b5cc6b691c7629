import {
  type ConnectionUrl,
  duration,
  flag,
  type Holds,
  type HostPort,
  hostList,
  InvalidArgumentError,
  type Narrows,
  parseDriverOptions,
  pem,
  secret,
} from '@tooz/core/driver';
import { z } from 'zod';

const DEFAULT_PORT = 8500;

/** tooz's consul option names (and the Consul CLI's), under this driver's names. */
const ALIASES: Readonly<Record<string, string>> = {
  acl_token: 'token',
  ca_cert: 'caCert',
  client_cert: 'clientCert',
  client_key: 'clientKey',
  request_timeout: 'requestTimeout',
};

function schema(bareUnit: 'ms' | 's') {
  const ms = duration(bareUnit);
  return z
    .object({
      /** Agents to talk to, tried in turn when one cannot be reached (default `127.0.0.1:8500`). */
      hosts: hostList.optional(),
      /** HTTPS to every agent (implied by `consul+https://`). */
      tls: flag.default(false),
      /** The ACL token, sent as X-Consul-Token (tooz: `acl_token`). */
      token: secret.optional(),
      /** The datacenter to work in (default: the agent's own). */
      dc: z.string().min(1, 'must not be empty').optional(),
      caCert: pem.optional(),
      clientCert: pem.optional(),
      clientKey: pem.optional(),
      /** A reply this late fails the request (ms; a bare number in a URL is seconds). */
      requestTimeout: ms.pipe(z.number().min(1, 'must be at least 1 ms')).default(5_000),
      /** Longest wait of one blocking query before it is asked again (Consul allows 10 min). */
      wait: ms
        .pipe(z.number().min(1_000, 'must be at least 1 s').max(600_000, 'must be at most 10 min'))
        .default(60_000),
    })
    .strict()
    .refine((o) => (o.clientCert === undefined) === (o.clientKey === undefined), {
      message: 'clientCert and clientKey go together',
      path: ['clientCert'],
    })
    .refine((o) => o.tls || (o.caCert === undefined && o.clientCert === undefined), {
      message: 'needs TLS (consul+https:// or tls=true)',
      path: ['caCert'],
    });
}

// Written out rather than z.input, so zod's types stay out of the package's
// .d.ts; the check below keeps it equal to the schema (documented there).
/** Options of `consul({...})`; `fromUrl` takes the same ones (snake_case too) from the query string. */
export type ConsulOptions = {
  /** Agents to talk to, tried in turn (default `127.0.0.1:8500`): `'a:8500,b:8500'` or a list. */
  hosts?:
    | string
    | Array<
        | string
        | {
            /** Agent host name or address. */
            host: string;
            /** Agent HTTP(S) port (default 8500). */
            port?: number | string | undefined;
          }
      >
    | undefined;
  /** HTTPS to every agent (implied by `consul+https://`). */
  tls?: boolean | string | undefined;
  /** The ACL token, sent as X-Consul-Token (tooz: `acl_token`). */
  token?: string | undefined;
  /** The datacenter to work in (default: the agent's own). */
  dc?: string | undefined;
  /** PEM text or a file path (with `tls`). */
  caCert?: Buffer | string | undefined;
  /** Client certificate for mutual TLS, PEM text or a file path; with `clientKey`. */
  clientCert?: Buffer | string | undefined;
  /** Client private key for mutual TLS, PEM text or a file path; with `clientCert`. */
  clientKey?: Buffer | string | undefined;
  /** A reply this late fails the request (default 5 s). */
  requestTimeout?: number | string | undefined;
  /** Longest wait of one blocking query before it is asked again (default 60 s, 1 s to 10 min). */
  wait?: number | string | undefined;
};
type _ConsulOptionsMatchSchema = Holds<Narrows<ConsulOptions, z.input<ReturnType<typeof schema>>>>;

/** Parsed options, as the session uses them. */
export interface ConsulSettings {
  /** The agents to talk to, tried in order. */
  readonly hosts: readonly HostPort[];
  /** HTTPS instead of HTTP. */
  readonly tls: boolean;
  /** ACL token sent with every request; masked in errors. */
  readonly token?: string | undefined;
  /** Datacenter to use (default: the agent's own). */
  readonly dc?: string | undefined;
  /** CA to trust, PEM. */
  readonly caCert?: Buffer | undefined;
  /** Client certificate, PEM. */
  readonly clientCert?: Buffer | undefined;
  /** Client private key, PEM. */
  readonly clientKey?: Buffer | undefined;
  /** Milliseconds one request may take. */
  readonly requestTimeout: number;
  /** Milliseconds a blocking query waits for a change before returning unchanged. */
  readonly wait: number;
}

/** Validates options; throws InvalidArgumentError naming the field. */
export function parseConsulOptions(
  input: Readonly<Record<string, unknown>>,
  bareUnit: 'ms' | 's' = 'ms',
): ConsulSettings {
  const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
  const parsed = parseDriverOptions(schema(bareUnit), given, ALIASES);
  return {
    ...parsed,
    hosts: (parsed.hosts ?? [{ host: '127.0.0.1', port: undefined }]).map(({ host, port }) => ({
      host,
      port: port ?? DEFAULT_PORT,
    })),
  };
}

/**
 * `consul://[token:<acl token>@]host[:port][,host2...][?acl_token=..&dc=..]`,
 * `consul+https://` for TLS. The token may come as the URL's password or
 * as `acl_token`/`token`; never both.
 */
export function parseConsulUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): ConsulSettings {
  if (url.scheme !== 'consul' && url.scheme !== 'consul+https') {
    throw new InvalidArgumentError('url', `scheme "${url.scheme}" is not a consul scheme`);
  }
  if (url.path !== '' && url.path !== '/') throw new InvalidArgumentError('url.path', 'consul:// takes no path');
  const merged: Record<string, unknown> = { ...options };
  if (url.scheme === 'consul+https') {
    if (options.tls !== undefined && flag.safeParse(options.tls).data === false) {
      throw new InvalidArgumentError('options.tls', 'contradicts consul+https://');
    }
    merged.tls = true;
  }
  const named = url.hosts.filter((h) => h.host !== '');
  if (named.length > 0) merged.hosts = named.map(({ host, port }) => ({ host, port }));
  if (url.password !== undefined) {
    if (options.token !== undefined || options.acl_token !== undefined) {
      throw new InvalidArgumentError('options.token', 'is given twice: in the URL and as an option');
    }
    merged.token = url.password;
  }
  return parseConsulOptions(merged, 's');
}

/** A printable description: agents only, never the token. */
export function describe(settings: ConsulSettings): string {
  const hosts = settings.hosts.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`);
  return `${settings.tls ? 'consul+https' : 'consul'}://${hosts.join(',')}${settings.dc ? `?dc=${settings.dc}` : ''}`;
}
