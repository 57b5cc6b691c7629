import { postgresCapabilities } from '@tooz/driver-postgres';
import { conformance } from '@tooz/testing/conformance';
import { postgresPerFile } from './support/postgres.js';

// One server; each coordinator reaches it through a fault proxy of its own.
const pg = postgresPerFile();

conformance('postgres', {
  capabilities: postgresCapabilities,
  ttl: 2_000,
  connect: async (options) => (await pg.members.add(options)).coordinator,
  faults: pg.faults,
});
