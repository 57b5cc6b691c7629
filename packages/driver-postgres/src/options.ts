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
import { timeoutProblems } from './pg/timeouts.js';

const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
const LOCK_MODES = ['native', 'tooz'] as const;
export type LockMode = (typeof LOCK_MODES)[number];
/** TLS use, as libpq's `sslmode`: `disable`, `require`, `verify-ca` or `verify-full`. */
export type SslMode = (typeof SSL_MODES)[number];

/** The snake_case names (libpq's where it has one, else tooz's style) that URLs use for the options. */
export const POSTGRES_ALIASES: Readonly<Record<string, string>> = {
  dbname: 'database',
  application_name: 'applicationName',
  connect_timeout: 'connectTimeout',
  keepalive_interval: 'keepaliveInterval',
  keepalive_timeout: 'keepaliveTimeout',
  session_timeout: 'sessionTimeout',
  liveness_interval: 'livenessInterval',
  lock_mode: 'lockMode',
};

/** TLS settings given as an object (the `ssl` option of pg, restricted to what the driver uses). */
const sslObject = z
  .object({
    ca: pem.optional(),
    cert: pem.optional(),
    key: pem.optional(),
    rejectUnauthorized: flag.optional(),
    servername: z.string().optional(),
  })
  .strict();

/**
 * The driver's options. Durations are milliseconds as numbers; as strings
 * they take a unit (`500ms`, `2s`), and a bare number in a URL means seconds
 * (as libpq's `connect_timeout`).
 */
function postgresOptionsSchema(bareUnit: 'ms' | 's') {
  const ms = duration(bareUnit);
  const atLeast10 = ms.pipe(z.number().min(10, 'must be at least 10 ms'));
  return z
    .object({
      /** Host name, IP address, or a directory holding the server's unix socket. Default `localhost`. */
      host: z.string().min(1, 'must not be empty').optional(),
      port: port.optional(),
      user: z.string().min(1, 'must not be empty').optional(),
      password: secret.optional(),
      database: z.string().min(1, 'must not be empty').optional(),
      /** libpq's modes; `prefer` and `allow` (fall back to plain text) are refused rather than guessed. */
      sslmode: z.enum(SSL_MODES, { message: `must be one of ${SSL_MODES.join(', ')}` }).optional(),
      /** PEM files (or PEM text), as in libpq; read when the options are parsed. */
      sslrootcert: pem.optional(),
      sslcert: pem.optional(),
      sslkey: pem.optional(),
      /** pg's `ssl` option as an object (or `true`): for certificates held in memory. */
      ssl: z.union([flag, sslObject]).optional(),
      /** Shown in `pg_stat_activity`; the events connection appends `/events`. */
      applicationName: z
        .string()
        .regex(/^[\x20-\x7e]{1,50}$/, 'must be 1-50 printable ASCII characters')
        .default('tooz'),
      connectTimeout: ms.pipe(z.number().min(1, 'must be at least 1 ms')).default(10_000),
      /** An idle connection proves itself this often. Default 1 s, less for short session timeouts (timeouts.ts). */
      keepaliveInterval: atLeast10.optional(),
      /** A reply this late means the server is unreachable: the coordinator is `suspended`. Default 2 s, or less. */
      keepaliveTimeout: atLeast10.optional(),
      /**
       * The server ends a silent session this long after it last heard from
       * the client; the client gives it up (`lost`) a tenth earlier, counted
       * from the send of its last answered statement. Default: the coordinator's `ttl`.
       */
      sessionTimeout: atLeast10.optional(),
      /** How often watchers look for members and holders whose session ended without a word. */
      livenessInterval: atLeast10.default(500),
      /**
       * `native` (default): each lock name is a 64-bit advisory key of this
       * driver's. `tooz`: locks also take the key Python tooz's `postgresql://`
       * driver computes for the name (two bytes of MD5, the two-`int4` form),
       * so that Python tooz processes and this SDK exclude each other. The
       * README says what that costs.
       */
      lockMode: z.enum(LOCK_MODES, { message: `must be one of ${LOCK_MODES.join(', ')}` }).default('native'),
    })
    .strict()
    .superRefine((settings, context) => {
      // Checked here when the session timeout is given (so the option is named as written);
      // when it defaults to the coordinator's ttl, the same check runs at open (timeouts.ts).
      if (settings.sessionTimeout === undefined) return;
      for (const { field, message } of timeoutProblems(
        settings.sessionTimeout,
        settings.keepaliveInterval,
        settings.keepaliveTimeout,
      )) {
        context.addIssue({ code: 'custom', path: [field], message });
      }
    });
}

// Written out rather than z.input, so zod's types stay out of the package's
// .d.ts; the check below keeps it equal to the schema (documented there).
/** Options of `postgres({...})`, before defaults; durations in ms or strings like `'10s'`. */
export type PostgresOptions = {
  /** Host name, IP address, or a directory holding the server's unix socket. Default `localhost`. */
  host?: string | undefined;
  /** Server port (default: pg's, 5432 or `PGPORT`). */
  port?: number | string | undefined;
  /** User to log in as (default: pg's, `PGUSER` or the OS user). */
  user?: string | undefined;
  /** Password for `user`; masked in errors. */
  password?: string | undefined;
  /** Database to connect to (default: pg's, the user name or `PGDATABASE`). */
  database?: string | undefined;
  /** libpq's modes; `prefer` and `allow` are refused rather than guessed. */
  sslmode?: SslMode | undefined;
  /** PEM files (or PEM text), as in libpq. */
  sslrootcert?: Buffer | string | undefined;
  /** Client certificate, PEM file or text. */
  sslcert?: Buffer | string | undefined;
  /** Client private key, PEM file or text. */
  sslkey?: Buffer | string | undefined;
  /** pg's `ssl` option as an object (or `true`): for certificates held in memory. */
  ssl?:
    | boolean
    | string
    | {
        /** CA to trust, PEM text or a file path. */
        ca?: Buffer | string | undefined;
        /** Client certificate, PEM text or a file path. */
        cert?: Buffer | string | undefined;
        /** Client private key, PEM text or a file path. */
        key?: Buffer | string | undefined;
        /** Verify the server's certificate (default true). */
        rejectUnauthorized?: boolean | string | undefined;
        /** Name the certificate must carry (default: `host`). */
        servername?: string | undefined;
      }
    | undefined;
  /** Shown in `pg_stat_activity` (default `tooz`). */
  applicationName?: string | undefined;
  /** A connection not made within this long fails (default 10 s). */
  connectTimeout?: Duration | undefined;
  /** An idle connection proves itself this often (default 1 s, less for short session timeouts). */
  keepaliveInterval?: Duration | undefined;
  /** A reply this late makes the coordinator `suspended` (default 2 s, or less for short session timeouts). */
  keepaliveTimeout?: Duration | undefined;
  /** The server ends a silent session this long after it last heard from the client (default: the coordinator's `ttl`). */
  sessionTimeout?: Duration | undefined;
  /** How often watchers look for members and holders whose session ended silently (default 500 ms). */
  livenessInterval?: Duration | undefined;
  /** `native` (default) or `tooz` (also Python tooz's advisory keys, so both exclude each other). */
  lockMode?: LockMode | undefined;
};
type _PostgresOptionsMatchSchema = Holds<Narrows<PostgresOptions, z.input<ReturnType<typeof postgresOptionsSchema>>>>;
export type PostgresSettings = z.output<ReturnType<typeof postgresOptionsSchema>>;

/** Parses options given as an object (`bareUnit` 'ms') or from a URL ('s'); a refusal names the option as written. */
export function parsePostgresOptions(input: unknown, bareUnit: 'ms' | 's' = 'ms'): PostgresSettings {
  if (input !== undefined && (typeof input !== 'object' || input === null)) {
    throw new InvalidArgumentError('options', 'must be an object');
  }
  const given = (input ?? {}) as Readonly<Record<string, unknown>>;
  return parseDriverOptions(postgresOptionsSchema(bareUnit), given, POSTGRES_ALIASES);
}
