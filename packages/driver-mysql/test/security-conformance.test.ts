import { mysqlCapabilities } from '@tooz/driver-mysql';
import { startMysql } from '@tooz/testing';
import { securityConformance } from '@tooz/testing/conformance';

securityConformance('mysql', {
  capabilities: mysqlCapabilities,
  // The server's default authentication plugin on every TCP login.
  credentials: {
    async start(secret) {
      const server = await startMysql({ user: 'app', password: secret, database: 'appdb' });
      const address = `${server.host}:${server.port}`;
      return {
        url: (given) =>
          given === undefined
            ? `mysql://app@${address}/appdb`
            : `mysql://app:${encodeURIComponent(given)}@${address}/appdb`,
        withOption: (given) => ({ url: `mysql://app@${address}/appdb`, options: { password: given } }),
        [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
      };
    },
  },
  tls: {
    async start() {
      const server = await startMysql({ ssl: true });
      if (!server.certs) throw new Error('startMysql({ ssl: true }) made no certificates');
      return {
        url: `${server.url}?ssl=true`,
        certs: server.certs,
        [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
      };
    },
    pem: { ca: 'ssl_ca', cert: 'ssl_cert', key: 'ssl_key' },
  },
  url: 'mysql://tooz@127.0.0.1:9/tooz',
  options: { connectTimeout: 5_000 },
});
