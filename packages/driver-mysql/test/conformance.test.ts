import { mysqlCapabilities } from '@tooz/driver-mysql';
import { conformance } from '@tooz/testing';
import { mysqlPerFile } from './support/members.js';

const mysql = mysqlPerFile();

conformance('mysql', {
  capabilities: mysqlCapabilities,
  ttl: 2_000,
  connect: (options) => mysql.connect(options),
  faults: {
    suspend: (memberId) => mysql.members.suspend(memberId),
    resume: (memberId) => mysql.members.resume(memberId),
    expireSession: async (memberId) => {
      await mysql.kill(memberId);
    },
  },
});
