import { postgresCapabilities } from '@tooz/driver-postgres';
import { startPostgres } from '@tooz/testing';
import { securityConformance } from '@tooz/testing/conformance';

securityConformance('postgres', {
  capabilities: postgresCapabilities,
  // scram-sha-256 on every TCP login.
  credentials: {
    async start(secret) {
      const server = await startPostgres({ user: 'app', password: secret, database: 'appdb' });
      const address = `${server.host}:${server.port}`;
      return {
        url: (given) =>
          given === undefined
            ? `postgres://app@${address}/appdb`
            : `postgres://app:${encodeURIComponent(given)}@${address}/appdb`,
        withOption: (given) => ({ url: `postgres://app@${address}/appdb`, options: { password: given } }),
        [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
      };
    },
  },
  tls: {
    async start() {
      const server = await startPostgres({ ssl: true });
      if (!server.certs) throw new Error('startPostgres({ ssl: true }) made no certificates');
      return {
        url: `${server.url}?sslmode=verify-full`,
        certs: server.certs,
        [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
      };
    },
    pem: { ca: 'sslrootcert', cert: 'sslcert', key: 'sslkey' },
  },
  url: 'postgres://tooz@127.0.0.1:9/tooz',
  options: { connectTimeout: 5_000 },
});
