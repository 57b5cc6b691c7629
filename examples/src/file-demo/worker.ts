/**
 * One worker process of the file demo (examples/src/file-demo.ts): joins the
 * group, stands for its leadership, and on its orchestrator's word reports
 * which jobs the hash ring gives it or queues for a shared lock. Messages go
 * both ways over the IPC channel of `fork()`.
 *
 * argv: directory memberId weight
 */
import { connect, isToozError, registerDriver, withLock } from '@tooz/core';
import { delay, filter, firstValueFrom, lastValueFrom, of } from 'rxjs';
import { type FromWorker, GROUP, JOBS, type ToWorker } from './protocol.js';

// An application that depends on @tooz/driver-file does not need this line:
// connect('file://...') loads the package by itself. The examples package
// does not depend on it, so it is registered from the workspace.
registerDriver('file', await import('@tooz/driver-file'));

const [directory = '', memberId = '', weight = '1'] = process.argv.slice(2);
const send = (message: FromWorker) => process.send?.(message);

const coordinator = await connect(`file://${directory}`, { memberId });
const group = coordinator.group(GROUP);
group.join({ weight: Number(weight) }).subscribe({
  next: () => send({ type: 'joined' }),
  error: (error: unknown) => {
    if (!isToozError(error, 'MEMBERSHIP_LOST')) console.error(memberId, error);
  },
});
coordinator.leadership(GROUP).subscribe((value) => send({ type: 'leading', value }));

process.on('message', async (message: ToWorker) => {
  switch (message.cmd) {
    case 'partition': {
      const ring = await firstValueFrom(group.partitioner().pipe(filter((p) => p.members.size === message.members)));
      send({ type: 'owns', jobs: JOBS.filter((job) => ring.belongsToSelf(job)), weight: Number(weight) });
      return;
    }
    case 'contend':
      // Every worker wants the same lock at once: the OS lock makes them take turns, and each
      // turn carries a larger fencing token for the resource it protects.
      await lastValueFrom(
        withLock(coordinator, 'invoice-42', (lease) => {
          send({ type: 'locked', token: String(lease.fencingToken) });
          return of(lease.fencingToken).pipe(delay(50));
        }),
      );
      send({ type: 'contended' });
      return;
    case 'exit':
      await coordinator.close();
      process.exit(0);
  }
});
