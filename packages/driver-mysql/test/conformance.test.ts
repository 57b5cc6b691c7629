import { mysqlCapabilities } from '@tooz/driver-mysql';
import { conformance } from '@tooz/testing/conformance';
import { mysqlPerFile } from './support/members.js';

const mysql = mysqlPerFile();

conformance('mysql', {
  capabilities: mysqlCapabilities,
  // The session timeout: long enough that a suspension is seen and healed before it ends the session on a loaded machine.
  ttl: 4_000,
  connect: (options) => mysql.connect(options),
  faults: {
    suspend: (memberId) => mysql.members.suspend(memberId),
    resume: (memberId) => mysql.members.resume(memberId),
    expireSession: async (memberId) => {
      await mysql.kill(memberId);
    },
  },
});
