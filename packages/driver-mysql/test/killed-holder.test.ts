import { connect } from '@tooz/core';
import { killedHolderTests } from '@tooz/testing/conformance';
import { mysqlPerFile } from './support/members.js';

const mysql = mysqlPerFile();

killedHolderTests('mysql', {
  driver: new URL('../src/index.ts', import.meta.url),
  url: () => mysql.server.url,
  connect: (options) => connect(mysql.server.url, options),
});
