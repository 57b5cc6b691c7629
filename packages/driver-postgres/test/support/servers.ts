// The real-server fixtures this package's tests use, from @tooz/testing.
export {
  type FaultProxy,
  type PostgresOptions,
  type PostgresServer,
  startFaultProxy,
  startPostgres,
} from '@tooz/testing';
