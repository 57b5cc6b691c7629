// A coordinator in a process of its own, for the SIGKILL test:
//   node --conditions=development --import tsx holder-process.ts <url> <memberId> <lock> <group>
// It takes the lock, joins the group, leads the group, prints one JSON line,
// then waits to be killed.
import { connect, registerDriver } from '@tooz/core';
import * as mysqlDriver from '@tooz/driver-mysql';
import { filter, firstValueFrom } from 'rxjs';

const [url, memberId, lockName, group] = process.argv.slice(2);
if (!url || !memberId || !lockName || !group) throw new Error('usage: holder-process <url> <memberId> <lock> <group>');

registerDriver(['mysql', 'mariadb'], mysqlDriver);
const coordinator = await connect(url, { memberId });
const lease = await coordinator.acquire(lockName);
await new Promise<void>((resolve, reject) => {
  coordinator
    .group(group)
    .join({ pid: process.pid })
    .subscribe({ next: () => resolve(), error: reject });
});
const leadership = coordinator.leadership(group);
leadership.subscribe();
await firstValueFrom(leadership.pipe(filter((leading) => leading)));
process.stdout.write(`${JSON.stringify({ token: lease.fencingToken.toString(), pid: process.pid })}\n`);
setInterval(() => undefined, 60_000);
