import { InvalidArgumentError } from '../errors/errors.js';
import { redact, registerSecret } from '../errors/redact.js';

export interface HostPort {
  readonly host: string;
  readonly port: number | undefined;
}

/**
 * A parsed backend URL. WHATWG `URL` refuses multi-host authorities such as
 * `etcd://h1:2379,h2:2379`, which every clustered backend needs, hence this.
 */
export interface ConnectionUrl {
  /** Lower-case, without the trailing colon: `redis`, `redis+sentinel`, `file`. */
  readonly scheme: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly hosts: readonly HostPort[];
  /** Decoded path, `''` when absent (`/0` for a redis db, `/chroot`, `/tmp/dir`). */
  readonly path: string;
  readonly params: URLSearchParams;
  /** The URL with its password masked: safe for logs and errors. */
  readonly redacted: string;
}

const SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/;

function decode(part: string, field: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new InvalidArgumentError(field, 'has a malformed %-escape');
  }
}

function parseHost(text: string): HostPort {
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d*))?$/.exec(text);
  const plain = /^([^:[\]]*)(?::(\d*))?$/.exec(text);
  const match = bracketed ?? plain;
  if (!match) throw new InvalidArgumentError('url.host', `"${text}" is not host[:port]`);
  const portText = match[2];
  let port: number | undefined;
  if (portText !== undefined && portText !== '') {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new InvalidArgumentError('url.port', `${portText} is not a port between 1 and 65535`);
    }
  }
  return { host: decode(match[1] ?? '', 'url.host'), port };
}

export function parseConnectionUrl(text: string): ConnectionUrl {
  if (typeof text !== 'string') throw new InvalidArgumentError('url', 'must be a string');
  const match = SHAPE.exec(text.trim());
  if (!match) throw new InvalidArgumentError('url', `"${redact(text)}" is not of the form scheme://[user[:password]@]host[:port][,host[:port]...][/path][?options]`);
  const [, scheme = '', userinfo, authority = '', rawPath = '', query = ''] = match;
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    username = decode(colon === -1 ? userinfo : userinfo.slice(0, colon), 'url.username') || undefined;
    password = colon === -1 ? undefined : decode(userinfo.slice(colon + 1), 'url.password');
    registerSecret(password);
  }
  const hosts = authority === '' ? [] : authority.split(',').map(parseHost);
  const params = new URLSearchParams(query);
  for (const [key, value] of params) {
    if (/pass|secret|token/i.test(key)) registerSecret(value);
  }
  return {
    scheme: scheme.toLowerCase(),
    username,
    password,
    hosts,
    path: decode(rawPath, 'url.path'),
    params,
    redacted: redact(text),
  };
}
