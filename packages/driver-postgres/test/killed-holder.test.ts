import { connect } from '@tooz/core';
import { killedHolderTests } from '@tooz/testing/conformance';
import { postgresPerFile } from './support/postgres.js';

const pg = postgresPerFile();

killedHolderTests('postgres', {
  driver: new URL('../src/index.ts', import.meta.url),
  url: () => pg.server.url,
  connect: (options) => connect(pg.server.url, options),
});
