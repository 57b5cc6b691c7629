import type { ConnectionOptions, SslOptions } from 'mysql2/promise';
import type { MysqlSettings } from './options.js';

/** TLS as tooz's options ask for it: any ssl_* option turns it on, `ssl=false` keeps it off. */
function tls(settings: MysqlSettings): SslOptions | undefined {
  const { ssl, sslCa, sslCapath, sslCert, sslKey, sslCipher, sslVerifyMode, sslCheckHostname } = settings;
  const asked = [sslCa, sslCapath, sslCert, sslKey, sslCipher, sslVerifyMode, sslCheckHostname].some(
    (value) => value !== undefined,
  );
  if (ssl === false || (ssl === undefined && !asked)) return undefined;
  const verify = sslVerifyMode ?? true;
  const ca = [...(sslCa ? [sslCa] : []), ...(sslCapath ?? [])];
  return {
    ...(ca.length > 0 ? { ca } : {}),
    ...(sslCert ? { cert: sslCert } : {}),
    ...(sslKey ? { key: sslKey } : {}),
    ...(sslCipher ? { ciphers: sslCipher } : {}),
    rejectUnauthorized: verify,
    verifyIdentity: verify && (sslCheckHostname ?? true),
  };
}

/** mysql2's options for the session connection. */
export function clientConfig(settings: MysqlSettings): ConnectionOptions {
  const ssl = tls(settings);
  return {
    ...(settings.socketPath ? { socketPath: settings.socketPath } : { host: settings.host, port: settings.port }),
    ...(settings.user !== undefined ? { user: settings.user } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    database: settings.database,
    ...(ssl ? { ssl } : {}),
    connectTimeout: settings.connectTimeout,
    enableKeepAlive: true,
    // Counters past 2^53 stay exact.
    supportBigNumbers: true,
    bigNumberStrings: true,
    charset: 'utf8mb4_bin',
  };
}

/** Where the driver connects, without credentials: for `description` and messages. */
export function describeTarget(settings: MysqlSettings): string {
  const user = settings.user ? `${encodeURIComponent(settings.user)}@` : '';
  const where = settings.socketPath
    ? `localhost/${encodeURIComponent(settings.database)}?unix_socket=${encodeURIComponent(settings.socketPath)}`
    : `${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.port}/${encodeURIComponent(settings.database)}`;
  return `mysql://${user}${where}`;
}
