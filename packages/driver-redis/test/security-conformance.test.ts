import { redisCapabilities } from '@tooz/driver-redis';
import { startRedis } from '@tooz/testing';
import { securityConformance } from '@tooz/testing/conformance';

securityConformance('redis', {
  capabilities: redisCapabilities,
  // An ACL user: the default user is off, so a wrong password or none at all is refused.
  credentials: {
    async start(secret) {
      const server = await startRedis({ user: { name: 'app', password: secret } });
      const address = `${server.host}:${server.port}`;
      return {
        url: (given) =>
          given === undefined ? `redis://${address}` : `redis://app:${encodeURIComponent(given)}@${address}`,
        withOption: (given) => ({ url: `redis://${address}`, options: { username: 'app', password: given } }),
        [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
      };
    },
  },
  tls: {
    async start() {
      const server = await startRedis({ tls: true });
      if (!server.certs) throw new Error('startRedis({ tls: true }) made no certificates');
      return { url: server.url, certs: server.certs, [Symbol.asyncDispose]: () => server[Symbol.asyncDispose]() };
    },
    pem: { ca: 'tlsCaFile', cert: 'tlsCertFile', key: 'tlsKeyFile' },
  },
  url: 'redis://127.0.0.1:9',
  // A refused handshake is not worth retrying for the default 10 s.
  options: { connectTimeout: 2_000 },
});
