import { InvalidArgumentError } from '../errors/errors.js';
import { redact, registerSecret } from '../errors/redact.js';

/** One `host[:port]` of a connection URL's authority. */
export interface HostPort {
  /** Host name or address as written (IPv6 without brackets), percent-decoded. */
  readonly host: string;
  /** The port (1–65535), or `undefined` when the URL gave none and the driver's default applies. */
  readonly port: number | undefined;
}

/**
 * A parsed backend URL. WHATWG `URL` refuses multi-host authorities such as
 * `etcd://h1:2379,h2:2379`, which every clustered backend needs, hence this.
 */
export interface ConnectionUrl {
  /** Lower-case, without the trailing colon: `redis`, `redis+sentinel`, `file`. */
  readonly scheme: string;
  /** Percent-decoded user name from `user[:password]@`, or `undefined` when absent. */
  readonly username: string | undefined;
  /** Percent-decoded password, or `undefined`. Registered as a secret, so error messages mask it. */
  readonly password: string | undefined;
  /** Every `host[:port]` of a comma-separated authority, in order; empty for path-only URLs (`file:///dir`). */
  readonly hosts: readonly HostPort[];
  /** Decoded path, `''` when absent (`/0` for a redis db, `/chroot`, `/tmp/dir`). */
  readonly path: string;
  /** The query string's options (`?ttl=10&namespace=x`), values still strings. */
  readonly params: URLSearchParams;
  /** The URL with its password masked: safe for logs and errors. */
  readonly redacted: string;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const FORM = 'scheme://[user[:password]@]host[:port][,host[:port]...][/path][?options]';

/**
 * Splits `user:password@` off the rest. The userinfo ends at the *last* `@`
 * before the query, so a password holding an unescaped `/`, `?` or `#` is
 * still taken whole (and registered as a secret) rather than leaking into a
 * host or path error. An `@` in a path must then be written `%40`.
 */
function splitUserinfo(rest: string): { userinfo: string | undefined; remainder: string } {
  const query = rest.indexOf('?');
  const beforeQuery = query === -1 ? rest : rest.slice(0, query);
  const at = beforeQuery.lastIndexOf('@');
  if (at === -1) return { userinfo: undefined, remainder: rest };
  return { userinfo: rest.slice(0, at), remainder: rest.slice(at + 1) };
}

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

/**
 * Parses `scheme://[user[:password]@]host[:port][,host[:port]...][/path][?options]`.
 * @throws {@link InvalidArgumentError} when there is no scheme, a port is not 1–65535,
 * or a part cannot be percent-decoded; the message masks any password.
 */
export function parseConnectionUrl(text: string): ConnectionUrl {
  if (typeof text !== 'string') throw new InvalidArgumentError('url', 'must be a string');
  const trimmed = text.trim();
  const schemeMatch = SCHEME.exec(trimmed);
  if (!schemeMatch) {
    // The input is not echoed: with no "://" there is no telling where a password is.
    throw new InvalidArgumentError('url', `is not of the form ${FORM}`);
  }
  const scheme = (schemeMatch[1] ?? '').toLowerCase();
  const { userinfo, remainder } = splitUserinfo(trimmed.slice(schemeMatch[0].length).replace(/#.*$/, ''));
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const rawPassword = colon === -1 ? undefined : userinfo.slice(colon + 1);
    registerSecret(rawPassword);
    username = decode(colon === -1 ? userinfo : userinfo.slice(0, colon), 'url.username') || undefined;
    password = rawPassword === undefined ? undefined : decode(rawPassword, 'url.password');
    registerSecret(password);
  }
  const authorityEnd = remainder.search(/[/?]/);
  const authority = authorityEnd === -1 ? remainder : remainder.slice(0, authorityEnd);
  const afterAuthority = authorityEnd === -1 ? '' : remainder.slice(authorityEnd);
  const queryStart = afterAuthority.indexOf('?');
  const rawPath = queryStart === -1 ? afterAuthority : afterAuthority.slice(0, queryStart);
  const query = queryStart === -1 ? '' : afterAuthority.slice(queryStart + 1);
  const hosts = authority === '' ? [] : authority.split(',').map(parseHost);
  const params = new URLSearchParams(query);
  for (const [key, value] of params) {
    if (/pass|secret|token|credential/i.test(key)) registerSecret(value);
  }
  return {
    scheme,
    username,
    password,
    hosts,
    path: decode(rawPath, 'url.path'),
    params,
    redacted: redactUrl(scheme, username, password, trimmed),
  };
}

function redactUrl(scheme: string, username: string | undefined, password: string | undefined, text: string): string {
  if (password === undefined) return redact(text);
  const { remainder } = splitUserinfo(text.slice(text.indexOf('://') + 3));
  return redact(`${scheme}://${username ? encodeURIComponent(username) : ''}:***@${remainder}`);
}
