import { etcdCapabilities } from '@tooz/driver-etcd';
import { conformance } from '@tooz/testing/conformance';
import { etcdPerFile } from './per-file.js';

const { admin, members } = await etcdPerFile();

conformance('etcd', {
  capabilities: etcdCapabilities,
  // etcd leases count in whole seconds; 3 s keeps a busy machine from missing keep-alives.
  ttl: 3_000,
  connect: (options) => members.connect(options),
  faults: {
    suspend: (memberId) => members.suspend(memberId),
    resume: (memberId) => members.resume(memberId),
    expireSession: (memberId) => members.expire(admin, memberId),
  },
});
