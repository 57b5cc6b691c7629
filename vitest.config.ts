import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

const DRIVERS = ['file', 'redis', 'etcd', 'postgres', 'zookeeper'] as const;

// Tests import packages by name; the aliases point at src/ so no build is needed.
const alias = {
  // Before '@tooz/core': the first alias whose key prefixes the import wins.
  '@tooz/core/driver': fileURLToPath(new URL('./packages/core/src/driver/index.ts', import.meta.url)),
  '@tooz/core': src('core'),
  '@tooz/testing': src('testing'),
  ...Object.fromEntries(DRIVERS.map((name) => [`@tooz/driver-${name}`, src(`driver-${name}`)])),
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'core',
          root: './packages/core',
          include: ['test/**/*.test.ts'],
          typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'testing',
          root: './packages/testing',
          include: ['test/**/*.test.ts'],
          exclude: ['test/servers/**'],
        },
      },
      {
        // Real servers: slower to start, so longer timeouts; never skipped.
        resolve: { alias },
        test: {
          name: 'servers',
          root: './packages/testing',
          include: ['test/servers/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The `tooz` command, run as child processes against real servers and the file driver.
        resolve: { alias },
        test: {
          name: 'cli',
          root: './packages/cli',
          include: ['test/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
      // One project per driver: conformance and fault tests against real servers.
      ...DRIVERS.map((name) => ({
        resolve: { alias },
        test: {
          name: `driver-${name}`,
          root: `./packages/driver-${name}`,
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      })),
    ],
  },
});
