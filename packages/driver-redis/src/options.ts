import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { duration, parseOptions } from '@tooz/core';
import { z } from 'zod';

/** Where Redis is and how to talk to it; everything but the address is optional. */
export interface RedisDriverOptions {
  /** One server (default 127.0.0.1:6379), or a unix socket `path`. */
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
  /** Sentinels to ask for the primary of `sentinelMaster` (instead of host/port). */
  readonly sentinels?: readonly { readonly host: string; readonly port?: number }[];
  readonly sentinelMaster?: string;
  readonly db?: number;
  readonly username?: string;
  readonly password?: string;
  /** TLS to the data nodes: true, or node:tls options. `rediss://` implies it. */
  readonly tls?: boolean | TlsConnectionOptions;
  readonly tlsCaFile?: string;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly sentinelUsername?: string;
  readonly sentinelPassword?: string;
  readonly sentinelTls?: boolean;
  /** Give up a connection attempt after this long (ms; default 10 s). */
  readonly connectTimeout?: number | string;
  /** A connection that stays silent this long is dropped and reopened (ms; default 10 s). */
  readonly socketTimeout?: number | string;
  /** Health ping period (ms; default min(ttl / 3, 1 s)): a ping unanswered for a period means suspended. */
  readonly healthCheckInterval?: number | string;
  /** Replicas that must acknowledge a lock or membership write before it counts (Redis WAIT; default 0). */
  readonly waitReplicas?: number | string;
  /** How long WAIT may take (ms; default 1 s). */
  readonly waitReplicasTimeout?: number | string;
  /** How long a lock's fence key outlives its last hold (ms; default 5 min). */
  readonly fenceRetention?: number | string;
  /**
   * `'native'` (default): one key per lock, Python tooz 9.x's. `'tooz'`: a
   * hold also takes the keys Python tooz 3.1.0 writes for the same name
   * (`b'<ns>'_b'<name>'_lock`, `b'<ns>'_<name>_lock`) and 9.x's raw key,
   * so that every Python tooz version is excluded (see the README).
   */
  readonly lockMode?: LockMode;
}

export const LOCK_MODES = ['native', 'tooz'] as const;
export type LockMode = (typeof LOCK_MODES)[number];

const bool = z.union([
  z.boolean(),
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .transform((text) => ['true', '1', 'yes', 'on'].includes(text)),
]);

const int = (min: number, max: number) => z.coerce.number().int('must be an integer').min(min).max(max);

const hostPort = z.object({ host: z.string().min(1), port: int(1, 65535).optional() }).strict();

const tlsObject = z.custom<TlsConnectionOptions>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'must be true, false or node:tls connection options',
);

/** Durations: a JS number is ms; a string may carry a unit, and a bare number in a string means `bareUnit`. */
export function optionsSchema(bareUnit: 'ms' | 's') {
  const ms = duration(bareUnit);
  const positive = ms.pipe(z.number().positive('must be positive'));
  return z
    .object({
      host: z.string().min(1).optional(),
      port: int(1, 65535).optional(),
      path: z.string().min(1).optional(),
      sentinels: z.array(hostPort).min(1).optional(),
      sentinelMaster: z.string().min(1).optional(),
      db: int(0, 1_000_000).default(0),
      username: z.string().optional(),
      password: z.string().optional(),
      tls: z.union([bool, tlsObject]).optional(),
      tlsCaFile: z.string().min(1).optional(),
      tlsCertFile: z.string().min(1).optional(),
      tlsKeyFile: z.string().min(1).optional(),
      sentinelUsername: z.string().optional(),
      sentinelPassword: z.string().optional(),
      sentinelTls: bool.default(false),
      connectTimeout: positive.default(10_000),
      socketTimeout: positive.default(10_000),
      healthCheckInterval: ms.pipe(z.number().min(10, 'must be at least 10 ms')).optional(),
      waitReplicas: int(0, 100).default(0),
      waitReplicasTimeout: positive.default(1_000),
      fenceRetention: ms.default(300_000),
      lockMode: z.enum(LOCK_MODES, { message: `must be one of ${LOCK_MODES.join(', ')}` }).default('native'),
    })
    .strict()
    .refine((o) => !(o.sentinels && (o.host || o.path)), {
      message: 'give either sentinels or host/path, not both',
      path: ['sentinels'],
    })
    .refine((o) => !o.sentinels || o.sentinelMaster, {
      message: 'is required with sentinels (the name the sentinels monitor the primary under)',
      path: ['sentinelMaster'],
    });
}

export type ResolvedOptions = z.output<ReturnType<typeof optionsSchema>>;

export function parseDriverOptions(input: unknown, bareUnit: 'ms' | 's' = 'ms'): ResolvedOptions {
  return parseOptions(optionsSchema(bareUnit), input);
}
