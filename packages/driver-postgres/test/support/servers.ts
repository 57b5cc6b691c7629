// The real-server fixtures of @tooz/testing. They are not exported from the
// package's entry point yet; this is the one line to change when they are.
export {
  type FaultProxy,
  type PostgresOptions,
  type PostgresServer,
  startFaultProxy,
  startPostgres,
} from '../../../testing/src/servers/index.js';
