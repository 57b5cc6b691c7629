import { etcdCapabilities } from '@tooz/driver-etcd';
import { startEtcd } from '@tooz/testing';
import { securityConformance } from '@tooz/testing/conformance';

securityConformance('etcd', {
  capabilities: etcdCapabilities,
  credentials: {
    async start(secret) {
      const server = await startEtcd({ auth: { user: 'app', password: secret } });
      const address = `${server.host}:${server.port}`;
      return {
        url: (given) =>
          given === undefined ? `etcd://${address}` : `etcd://app:${encodeURIComponent(given)}@${address}`,
        withOption: (given) => ({ url: `etcd://${address}`, options: { username: 'app', password: given } }),
        [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
      };
    },
  },
  tls: {
    async start() {
      const server = await startEtcd({ tls: true });
      if (!server.certs) throw new Error('startEtcd({ tls: true }) made no certificates');
      return { url: server.url, certs: server.certs, [Symbol.asyncDispose]: () => server[Symbol.asyncDispose]() };
    },
    pem: { ca: 'caCert', cert: 'certCert', key: 'certKey' },
  },
  url: 'etcd://127.0.0.1:9',
  // A failed handshake surfaces as a request timing out: keep it short.
  options: { requestTimeout: 2_000 },
});
