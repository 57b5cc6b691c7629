import { memcachedCapabilities } from '@tooz/driver-memcached';
import { startMemcached } from '@tooz/testing';
import { securityConformance } from '@tooz/testing/conformance';

securityConformance('memcached', {
  capabilities: memcachedCapabilities,
  // memcached's ASCII authentication (-Y): without a login every command is refused.
  credentials: {
    async start(secret) {
      const server = await startMemcached({ auth: { user: 'app', password: secret } });
      const address = `${server.host}:${server.port}`;
      return {
        url: (given) =>
          given === undefined ? `memcached://${address}` : `memcached://app:${encodeURIComponent(given)}@${address}`,
        withOption: (given) => ({ url: `memcached://${address}`, options: { user: 'app', password: given } }),
        [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
      };
    },
  },
  tls: {
    async start() {
      const server = await startMemcached({ tls: true });
      if (!server.certs) throw new Error('startMemcached({ tls: true }) made no certificates');
      const url = `memcacheds://${server.host}:${server.port}`;
      return { url, certs: server.certs, [Symbol.asyncDispose]: () => server[Symbol.asyncDispose]() };
    },
    pem: { ca: 'tlsCa', cert: 'tlsCert', key: 'tlsKey' },
  },
  url: 'memcached://127.0.0.1:9',
  // A refused handshake is not worth retrying for long.
  options: { connectTimeout: 2_000 },
});
