import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import { InvalidArgumentError } from '@tooz/core';
import type { ClientConfig } from 'pg';
import type { PostgresSettings } from './options.js';
import { serverTimeoutOptions, type Timeouts } from './timeouts.js';

export type ConnectionRole = 'session' | 'events';

async function readPem(path: string | undefined, field: string): Promise<Buffer | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new InvalidArgumentError(`options.${field}`, `cannot be read (${typeof code === 'string' ? code : 'error'})`);
  }
}

/** libpq's sslmode and file options, or pg's `ssl`, as Node TLS options. */
async function tlsOptions(settings: PostgresSettings): Promise<boolean | ConnectionOptions> {
  const [ca, cert, key] = await Promise.all([
    readPem(settings.sslrootcert, 'sslrootcert'),
    readPem(settings.sslcert, 'sslcert'),
    readPem(settings.sslkey, 'sslkey'),
  ]);
  const files: ConnectionOptions = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  const given = typeof settings.ssl === 'object' ? settings.ssl : {};
  switch (settings.sslmode) {
    case 'disable':
      return false;
    case 'require':
      // As libpq: encrypted but unverified, unless a root certificate is given (then verify-ca).
      return ca
        ? { ...files, ...given, rejectUnauthorized: true, checkServerIdentity: () => undefined }
        : { ...files, ...given, rejectUnauthorized: false };
    case 'verify-ca':
      return { ...files, ...given, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...files, ...given, rejectUnauthorized: true };
    default:
      if (settings.ssl === undefined || settings.ssl === false) return Object.keys(files).length > 0 ? files : false;
      return { ...files, ...given };
  }
}

/** Builds the pg configuration of one of the coordinator's two connections. */
export async function clientConfig(
  settings: PostgresSettings,
  role: ConnectionRole,
  timeouts: Timeouts,
): Promise<ClientConfig> {
  return {
    host: settings.host ?? 'localhost',
    port: settings.port ?? 5432,
    ...(settings.user !== undefined ? { user: settings.user } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ...(settings.database !== undefined ? { database: settings.database } : {}),
    ssl: await tlsOptions(settings),
    application_name: role === 'session' ? settings.applicationName : `${settings.applicationName}/events`,
    connectionTimeoutMillis: settings.connectTimeout,
    keepAlive: true,
    keepAliveInitialDelayMillis: timeouts.keepaliveInterval,
    // The server's side of the session timeout: when it may end a client that went silent.
    options: serverTimeoutOptions(timeouts.sessionTimeout),
    // Statements go out without waiting for the previous answer; each is its own transaction.
    pipeline: true,
  };
}

/** Where the driver connects, without credentials: for `description` and messages. */
export function describeTarget(settings: PostgresSettings): string {
  const user = settings.user ? `${encodeURIComponent(settings.user)}@` : '';
  const host = settings.host ?? 'localhost';
  const shownHost = host.startsWith('/') ? encodeURIComponent(host) : host.includes(':') ? `[${host}]` : host;
  const database = settings.database ? `/${encodeURIComponent(settings.database)}` : '';
  const mode = settings.sslmode ? `?sslmode=${settings.sslmode}` : '';
  return `postgres://${user}${shownHost}:${settings.port ?? 5432}${database}${mode}`;
}
