// A lock holder in a process of its own, so a test can SIGSTOP it. It prints
// one JSON line per thing that happens: {"held":token}, {"state":...}, {"lost":reason}.
import { connect, type LockLostError } from '@tooz/core';
import { etcd } from '@tooz/driver-etcd';

const [hosts, name, ttl] = process.argv.slice(2);
if (!hosts || !name || !ttl) throw new Error('usage: holder.ts <host:port> <lock> <ttl ms>');
const say = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
const coordinator = await connect(etcd({ hosts }), { memberId: 'paused-holder', ttl: Number(ttl) });
coordinator.state$.subscribe((state) => say({ connection: state }));
coordinator.lock(name).subscribe({
  next: (lease) => {
    say({ held: lease.fencingToken.toString() });
    lease.state$.subscribe((state) => say({ state }));
  },
  error: (error: LockLostError) => say({ lost: error.reason ?? error.message }),
});
process.on('SIGTERM', () => void coordinator.close().finally(() => process.exit(0)));
