import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { HostPort } from '../connect/connection-url.js';
import { InvalidArgumentError } from '../errors/errors.js';
import { registerSecret } from '../errors/redact.js';
import { parseOptions } from '../options/parse.js';

const TRUE = new Set(['true', '1', 'yes', 'on', 't', 'y']);
const FALSE = new Set(['false', '0', 'no', 'off', 'f', 'n']);

/**
 * A boolean, spelled the same way on every driver: `true`/`false` as
 * values, and in URLs any of true/false, 1/0, yes/no, on/off, t/f, y/n in
 * any case (libpq's, redis-py's and tooz's spellings).
 */
export const flag = z.union([z.boolean(), z.string()], { message: 'must be a boolean' }).transform((value, ctx) => {
  if (typeof value === 'boolean') return value;
  const word = value.trim().toLowerCase();
  if (TRUE.has(word)) return true;
  if (FALSE.has(word)) return false;
  ctx.addIssue({ code: 'custom', message: `"${value}" is not a boolean (true/false, 1/0, yes/no, on/off)` });
  return z.NEVER;
});

/** A TCP port, 1-65535, as a number or a URL string. */
export const port = z.coerce
  .number({ message: 'must be a number' })
  .int('must be an integer')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const HOST_PORT = /^(?:\[([^\]]+)\]|([^:,[\]\s]+))(?::(\d+))?$/;

function hostPort(text: string, ctx: z.RefinementCtx): HostPort | undefined {
  const match = HOST_PORT.exec(text.trim());
  const port = match?.[3] === undefined ? undefined : Number(match[3]);
  if (!match || (port !== undefined && (port < 1 || port > 65535))) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not host[:port] (IPv6 as [::1]:port)` });
    return undefined;
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

/**
 * One or more hosts: `"h1:2379,h2:2379"`, `["h1:2379", "[::1]:2379"]` or
 * `[{ host, port }]`. Ports are optional (the driver fills its default).
 */
export const hostList = z
  .union([
    z.string(),
    z.array(z.union([z.string(), z.object({ host: z.string().min(1), port: port.optional() }).strict()])),
  ])
  .transform((value, ctx): HostPort[] => {
    const items = typeof value === 'string' ? value.split(',') : value;
    const hosts: HostPort[] = [];
    for (const item of items) {
      if (typeof item !== 'string') {
        hosts.push({ host: item.host, port: item.port });
        continue;
      }
      const parsed = hostPort(item, ctx);
      if (!parsed) return z.NEVER;
      hosts.push(parsed);
    }
    if (hosts.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must name at least one host' });
      return z.NEVER;
    }
    return hosts;
  });

/**
 * PEM material (a CA, a certificate, a key): the PEM text itself, a Buffer,
 * or the path of a file holding it (read at once, so a bad path is refused
 * at connect naming the field, not at the first TLS handshake).
 */
export const pem = z
  .union([z.instanceof(Buffer), z.string()], { message: 'must be PEM text, a Buffer or a file path' })
  .transform((value, ctx) => {
    if (Buffer.isBuffer(value)) return value;
    if (value === '') {
      ctx.addIssue({ code: 'custom', message: 'must not be empty' });
      return z.NEVER;
    }
    if (value.includes('-----BEGIN ')) return Buffer.from(value);
    try {
      return readFileSync(value);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      ctx.addIssue({ code: 'custom', message: `cannot read ${value} (${code})` });
      return z.NEVER;
    }
  });

/** A credential: kept as given, and registered so no error or log can show it. */
export const secret = z.string().transform((value) => {
  registerSecret(value);
  return value;
});

/**
 * Renames tooz's snake_case option names (`ssl_ca`, `acl_token`) to the
 * driver's camelCase ones. Both spellings at once is refused, naming both.
 */
export function renameAliases(
  input: Readonly<Record<string, unknown>>,
  aliases: Readonly<Record<string, string>>,
  root = 'options',
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const name = aliases[key] ?? key;
    if (name !== key && input[name] !== undefined) {
      throw new InvalidArgumentError(`${root}.${key}`, `and ${root}.${name} are the same option: give one`);
    }
    out[name] = value;
  }
  return out;
}

/**
 * Parses a driver's options: credentials registered for redaction before
 * anything can fail, tooz's aliases renamed, then the schema run, its first
 * problem thrown as InvalidArgumentError naming the field as the user wrote
 * it (`options.connect_timeout` when given under tooz's name).
 */
export function parseDriverOptions<S extends z.ZodType>(
  schema: S,
  input: Readonly<Record<string, unknown>>,
  aliases: Readonly<Record<string, string>> = {},
  root = 'options',
): z.output<S> {
  for (const [key, value] of Object.entries(input)) {
    if (typeof value === 'string' && /pass|secret|token|credential|auth/i.test(key)) registerSecret(value);
  }
  try {
    return parseOptions(schema, renameAliases(input, aliases, root), root);
  } catch (error) {
    throw asWritten(error, input, aliases, root);
  }
}

function asWritten(
  error: unknown,
  input: Readonly<Record<string, unknown>>,
  aliases: Readonly<Record<string, string>>,
  root: string,
): unknown {
  if (!(error instanceof InvalidArgumentError) || !error.field.startsWith(`${root}.`)) return error;
  const [name, ...rest] = error.field.slice(root.length + 1).split('.');
  const alias = Object.keys(input).find((key) => aliases[key] === name);
  if (alias === undefined) return error;
  const reason = error.message.slice(`Invalid ${error.field}: `.length);
  return new InvalidArgumentError([root, alias, ...rest].join('.'), reason);
}
