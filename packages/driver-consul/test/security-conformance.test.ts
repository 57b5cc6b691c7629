import { consulCapabilities } from '@tooz/driver-consul';
import { startConsul } from '@tooz/testing';
import { securityConformance } from '@tooz/testing/conformance';

securityConformance('consul', {
  capabilities: consulCapabilities,
  credentials: {
    // ACLs on with default policy deny: only this token may do anything; agent/self at connect checks it.
    async start(secret) {
      const server = await startConsul({ aclTokens: [secret] });
      const address = `${server.host}:${server.port}`;
      return {
        url: (given) =>
          given === undefined ? `consul://${address}` : `consul://token:${encodeURIComponent(given)}@${address}`,
        withOption: (given) => ({ url: `consul://${address}`, options: { acl_token: given } }),
        [Symbol.asyncDispose]: () => server.close(),
      };
    },
  },
  tls: {
    async start() {
      const server = await startConsul({ tls: true });
      if (!server.certs) throw new Error('startConsul({ tls: true }) made no certificates');
      return { url: server.url, certs: server.certs, [Symbol.asyncDispose]: () => server.close() };
    },
    pem: { ca: 'caCert', cert: 'clientCert', key: 'clientKey' },
  },
  url: 'consul://127.0.0.1:9',
  options: { requestTimeout: 2_000 },
});
