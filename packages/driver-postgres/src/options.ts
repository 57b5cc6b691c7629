import { duration, InvalidArgumentError, parseOptions } from '@tooz/core';
import { z } from 'zod';
import { timeoutProblems } from './timeouts.js';

const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export const LOCK_MODES = ['native', 'tooz'] as const;
export type LockMode = (typeof LOCK_MODES)[number];
export type SslMode = (typeof SSL_MODES)[number];

const pem = z.union([z.string(), z.instanceof(Buffer)]);

/** TLS settings given as an object (the `ssl` option of pg, restricted to what the driver uses). */
const sslObject = z
  .object({
    ca: pem.optional(),
    cert: pem.optional(),
    key: pem.optional(),
    rejectUnauthorized: z.boolean().optional(),
    servername: z.string().optional(),
  })
  .strict();

const port = z.coerce
  .number()
  .int('must be an integer')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const flag = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);

/**
 * The driver's options. Durations are milliseconds as numbers; as strings
 * they take a unit (`500ms`, `2s`), and a bare number in a URL means seconds
 * (as libpq's `connect_timeout`).
 */
export function postgresOptionsSchema(bareUnit: 'ms' | 's') {
  const ms = duration(bareUnit);
  return z
    .object({
      /** Host name, IP address, or a directory holding the server's unix socket. Default `localhost`. */
      host: z.string().min(1, 'must not be empty').optional(),
      port: port.optional(),
      user: z.string().min(1, 'must not be empty').optional(),
      password: z.string().optional(),
      database: z.string().min(1, 'must not be empty').optional(),
      /** libpq's modes; `prefer` and `allow` (fall back to plain text) are refused rather than guessed. */
      sslmode: z.enum(SSL_MODES, { message: `must be one of ${SSL_MODES.join(', ')}` }).optional(),
      /** PEM files, as in libpq. */
      sslrootcert: z.string().min(1).optional(),
      sslcert: z.string().min(1).optional(),
      sslkey: z.string().min(1).optional(),
      /** pg's `ssl` option as an object (or `true`): for certificates held in memory. */
      ssl: z.union([flag, sslObject]).optional(),
      /** Shown in `pg_stat_activity`; the events connection appends `/events`. */
      applicationName: z
        .string()
        .regex(/^[\x20-\x7e]{1,50}$/, 'must be 1-50 printable ASCII characters')
        .default('tooz'),
      connectTimeout: ms.pipe(z.number().min(1, 'must be at least 1 ms')).default(10_000),
      /** An idle connection proves itself this often. Default 1 s, less for short session timeouts (timeouts.ts). */
      keepaliveInterval: ms.pipe(z.number().min(10, 'must be at least 10 ms')).optional(),
      /** A reply this late means the server is unreachable: the coordinator is `suspended`. Default 2 s, or less. */
      keepaliveTimeout: ms.pipe(z.number().min(10, 'must be at least 10 ms')).optional(),
      /**
       * The server ends a silent session this long after it last heard from
       * the client; the client gives it up (`lost`) a tenth earlier, counted
       * from the send of its last answered statement. Default: the coordinator's `ttl`.
       */
      sessionTimeout: ms.pipe(z.number().min(10, 'must be at least 10 ms')).optional(),
      /** How often watchers look for members and holders whose session ended without a word. */
      livenessInterval: ms.pipe(z.number().min(10, 'must be at least 10 ms')).default(500),
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
      // Checked here when the session timeout is given (so a URL's own names are reported);
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

export type PostgresOptions = z.input<ReturnType<typeof postgresOptionsSchema>>;
export type PostgresSettings = z.output<ReturnType<typeof postgresOptionsSchema>>;

export function parsePostgresOptions(input: unknown, bareUnit: 'ms' | 's', root = 'options'): PostgresSettings {
  if (input !== undefined && (typeof input !== 'object' || input === null)) {
    throw new InvalidArgumentError(root, 'must be an object');
  }
  return parseOptions(postgresOptionsSchema(bareUnit), input ?? {}, root);
}
