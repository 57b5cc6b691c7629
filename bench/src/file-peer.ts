/**
 * The other process of bench/src/file.ts.
 * - `handoff <directory>`: on IPC `wait`, starts acquiring (reports `waiting`
 *   once armed, `acquired` with the time once held); on `release`, releases
 *   (reports `released` with the time taken just before).
 * - `hold <directory> <name>`: takes the lock, prints a line, holds until killed.
 */
import { connect } from '@tooz/core';
import { file } from '@tooz/driver-file';
import type { AsyncLockLease } from '@tooz/core';

const [mode, directory = '', name = ''] = process.argv.slice(2);
const coordinator = await connect(file({ directory }), { memberId: `peer-${process.pid}` });

if (mode === 'hold') {
  await coordinator.acquire(name);
  process.stdout.write('held\n');
  setInterval(() => undefined, 60_000);
} else {
  const send = (message: object) => process.send?.(message);
  let lease: AsyncLockLease | undefined;
  process.on('message', (message: { type: string }) => {
    if (message.type === 'wait') {
      // acquire() arms the wait synchronously: the driver answers without a round trip.
      const held = coordinator.acquire('handoff');
      send({ type: 'waiting' });
      void held.then((acquired) => {
        const at = process.hrtime.bigint();
        lease = acquired;
        send({ type: 'acquired', at: String(at) });
      });
    } else if (message.type === 'release') {
      const at = process.hrtime.bigint();
      void lease?.release();
      send({ type: 'released', at: String(at) });
    } else if (message.type === 'exit') {
      void coordinator.close().then(() => process.exit(0));
    }
  });
  send({ type: 'ready' });
}
