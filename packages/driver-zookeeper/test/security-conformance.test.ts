import { zookeeperCapabilities } from '@tooz/driver-zookeeper';
import { startZookeeper } from '@tooz/testing';
import { securityConformance } from '@tooz/testing/conformance';

securityConformance('zookeeper', {
  capabilities: zookeeperCapabilities,
  // Digest authentication; the root's ACL gives everything to this identity alone.
  credentials: {
    async start(secret) {
      const server = await startZookeeper({ auth: { user: 'app', password: secret } });
      const address = `${server.host}:${server.port}`;
      return {
        url: (given) =>
          given === undefined ? `zookeeper://${address}` : `zookeeper://app:${encodeURIComponent(given)}@${address}`,
        withOption: (given) => ({ url: `zookeeper://${address}`, options: { username: 'app', password: given } }),
        [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
      };
    },
  },
  tls: {
    notApplicable:
      'node-zookeeper-client speaks plain TCP only (ZooKeeper TLS needs its Netty connection factory and Java key stores, which neither the client nor the fixture has)',
    refuses: { option: 'use_ssl', value: 'true' },
  },
  url: 'zookeeper://127.0.0.1:9',
  options: { connectTimeout: 5_000 },
});
