// The real-server fixtures this package's tests use, from @tooz/testing.
export {
  type FaultProxy,
  type NetnsHost,
  type NetworkNamespace,
  type Peer,
  type PeerEvent,
  type PostgresOptions,
  type PostgresServer,
  startFaultProxy,
  startNetns,
  startPeer,
  startPostgres,
} from '@tooz/testing';
