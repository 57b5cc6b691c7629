import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  duration,
  flag,
  type Holds,
  InvalidArgumentError,
  type Narrows,
  parseDriverOptions,
  pem,
  port,
  secret,
} from '@tooz/core/driver';
import type { Duration } from '@tooz/core';
import { z } from 'zod';

export const LOCK_MODES = ['native', 'tooz'] as const;
/** How locks are taken: `native` (namespaced `GET_LOCK` names) or `tooz` (Python tooz's raw names, so both exclude each other). */
export type LockMode = (typeof LOCK_MODES)[number];

/** Python tooz's option names (its `mysql://` URL) and the driver's own snake_case spellings. */
export const TOOZ_ALIASES: Readonly<Record<string, string>> = {
  dbname: 'database',
  unix_socket: 'socketPath',
  ssl_ca: 'sslCa',
  ssl_capath: 'sslCapath',
  ssl_cert: 'sslCert',
  ssl_key: 'sslKey',
  ssl_cipher: 'sslCipher',
  ssl_verify_mode: 'sslVerifyMode',
  ssl_check_hostname: 'sslCheckHostname',
  connect_timeout: 'connectTimeout',
  session_timeout: 'sessionTimeout',
  keepalive_interval: 'keepaliveInterval',
  keepalive_timeout: 'keepaliveTimeout',
  lock_mode: 'lockMode',
  wait_connections: 'waitConnections',
};

/** PyMySQL's `verify_mode` words (and Python's `ssl.CERT_*` names), as tooz passes them. */
const VERIFY_MODES: Readonly<Record<string, boolean>> = {
  none: false,
  cert_none: false,
  optional: true,
  cert_optional: true,
  required: true,
  cert_required: true,
};

/** Every PEM file of a directory (tooz's `ssl_capath`), read at once so a bad path is refused naming the field. */
const pemDirectory = z.string().transform((dir, ctx) => {
  try {
    const files = readdirSync(dir).filter((name) => /\.(pem|crt)$/i.test(name));
    if (files.length === 0) {
      ctx.addIssue({ code: 'custom', message: `holds no .pem or .crt file` });
      return z.NEVER;
    }
    return files.map((name) => readFileSync(join(dir, name)));
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `cannot read ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    });
    return z.NEVER;
  }
});

function schema(bareUnit: 'ms' | 's') {
  const ms = duration(bareUnit);
  const atLeast = (min: number) => ms.pipe(z.number().min(min, `must be at least ${min} ms`));
  return z
    .object({
      host: z.string().min(1, 'must not be empty').default('localhost'),
      port: port.default(3306),
      /** A unix socket path; then host and port are not used (tooz's `unix_socket`). */
      socketPath: z.string().min(1, 'must not be empty').optional(),
      user: z.string().min(1, 'must not be empty').optional(),
      password: secret.optional(),
      /** The database (schema) holding the driver's tables; required, as in tooz's URL. */
      database: z
        .string({ message: 'must name a database (mysql://user:pass@host:3306/db)' })
        .min(1, 'must name a database (mysql://user:pass@host:3306/db)')
        .max(64, 'must be at most 64 characters'),
      /** TLS: `true` verifies the server against the system CAs; the PEM options imply it. */
      ssl: flag.optional(),
      sslCa: pem.optional(),
      sslCapath: pemDirectory.optional(),
      sslCert: pem.optional(),
      sslKey: pem.optional(),
      sslCipher: z.string().min(1, 'must not be empty').optional(),
      /** `none` skips verifying the server's certificate; `required` (default) verifies it. */
      sslVerifyMode: z
        .string()
        .transform((mode, ctx) => {
          const verify = VERIFY_MODES[mode.trim().toLowerCase()];
          if (verify === undefined) {
            ctx.addIssue({ code: 'custom', message: 'must be one of none, optional, required' });
            return z.NEVER;
          }
          return verify;
        })
        .optional(),
      /** Whether the certificate must name the host (default: true when verifying). */
      sslCheckHostname: flag.optional(),
      connectTimeout: atLeast(1).default(10_000),
      /**
       * The server ends a silent session no sooner than this after it last
       * heard from the client (`wait_timeout`, rounded up to seconds); the
       * client gives it up a tenth earlier. Default: the coordinator's `ttl`.
       */
      sessionTimeout: atLeast(1_000).optional(),
      /** An idle connection pings this often (default min(1 s, a quarter of the session span)). */
      keepaliveInterval: atLeast(10).optional(),
      /** A reply this late makes the coordinator `suspended` (default min(2 s, half the session span)). */
      keepaliveTimeout: atLeast(10).optional(),
      /**
       * `native` (default): lock names are namespaced. `tooz`: a lock takes
       * the very name Python tooz's `mysql://` driver passes to GET_LOCK, so
       * the two exclude each other (and namespaces no longer separate locks).
       */
      /**
       * Connections set aside for waiting locks (default 4; 0: poll only). A
       * waiter blocks in the server's GET_LOCK there and is woken by the
       * release itself; beyond these, waiters poll (see waiters.ts).
       */
      waitConnections: z.coerce
        .number({ message: 'must be a number' })
        .int('must be an integer')
        .min(0, 'must be between 0 and 64')
        .max(64, 'must be between 0 and 64')
        .default(4),
      lockMode: z.enum(LOCK_MODES, { message: `must be one of ${LOCK_MODES.join(', ')}` }).default('native'),
    })
    .strict();
}

// Written out rather than z.input, so zod's types stay out of the package's
// .d.ts; the check below keeps it equal to the schema (documented there).
/** Options of `mysql({...})`, before defaults; durations in ms or strings like `'10s'`. */
export type MysqlOptions = {
  /** Server host name or address (default `localhost`). */
  host?: string | undefined;
  /** Server port (default 3306). */
  port?: number | string | undefined;
  /** A unix socket path; then host and port are not used (tooz's `unix_socket`). */
  socketPath?: string | undefined;
  /** User to log in as. */
  user?: string | undefined;
  /** Password for `user`; masked in errors. */
  password?: string | undefined;
  /** The database (schema) holding the driver's tables; required, as in tooz's URL. */
  database: string;
  /** TLS: `true` verifies the server against the system CAs; the PEM options imply it. */
  ssl?: boolean | string | undefined;
  /** PEM text or a file path. */
  sslCa?: Buffer | string | undefined;
  /** A directory of .pem/.crt CA files (tooz's `ssl_capath`). */
  sslCapath?: string | undefined;
  /** Client certificate, PEM text or a file path (tooz's `ssl_cert`). */
  sslCert?: Buffer | string | undefined;
  /** Client private key, PEM text or a file path (tooz's `ssl_key`). */
  sslKey?: Buffer | string | undefined;
  /** OpenSSL cipher list to offer (tooz's `ssl_cipher`). */
  sslCipher?: string | undefined;
  /** `none` skips verifying the server's certificate; `required` (default) verifies it; also `optional`. */
  sslVerifyMode?: string | undefined;
  /** Whether the certificate must name the host (default: true when verifying). */
  sslCheckHostname?: boolean | string | undefined;
  /** A connection not made within this long fails (default 10 s). */
  connectTimeout?: Duration | undefined;
  /** The server ends a silent session no sooner than this (default: the coordinator's `ttl`). */
  sessionTimeout?: Duration | undefined;
  /** An idle connection pings this often (default min(1 s, a quarter of the session timeout)). */
  keepaliveInterval?: Duration | undefined;
  /** A ping reply this late makes the coordinator `suspended` (default min(2 s, half the session timeout)). */
  keepaliveTimeout?: Duration | undefined;
  /** Connections set aside for waiting locks (default 4; 0: poll only). */
  waitConnections?: number | string | undefined;
  /** `native` (default): lock names are namespaced; `tooz`: Python tooz's names, so both exclude each other. */
  lockMode?: LockMode | undefined;
};
type _MysqlOptionsMatchSchema = Holds<Narrows<MysqlOptions, z.input<ReturnType<typeof schema>>>>;
/** Parsed options, as the session uses them (internal: not exported by the package). */
export type MysqlSettings = z.output<ReturnType<typeof schema>>;

/**
 * Validates options, tooz's snake_case names accepted; `bareUnit` is what a
 * duration without a unit means (seconds in URLs, as tooz's, ms in code).
 */
export function parseMysqlOptions(input: unknown, bareUnit: 'ms' | 's' = 'ms', root = 'options'): MysqlSettings {
  if (input === undefined || typeof input !== 'object' || input === null) {
    throw new InvalidArgumentError(root, 'must be an object');
  }
  return parseDriverOptions(schema(bareUnit), input as Record<string, unknown>, TOOZ_ALIASES, root);
}
