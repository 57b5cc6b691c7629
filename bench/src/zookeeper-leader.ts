/**
 * A leader in a process of its own, for the "leader killed" measurement:
 * connects, stands for leadership of a group and prints `leading` when it
 * leads. The parent kills it with SIGKILL: no goodbye reaches ZooKeeper, so
 * the seat is freed only when the server expires the session.
 * Usage: node zookeeper-leader.js <hosts> <group> <session timeout ms>
 */
import { connect } from '@tooz/core';
import { zookeeper } from '@tooz/driver-zookeeper';
import { filter, firstValueFrom } from 'rxjs';

const [hosts = '', group = '', timeout = '1000'] = process.argv.slice(2);
const coordinator = await connect(zookeeper({ hosts }), { memberId: `doomed-${process.pid}`, ttl: Number(timeout) });
coordinator.leadership(group).subscribe();
await firstValueFrom(coordinator.leadership(group).pipe(filter((leading) => leading)));
process.stdout.write('leading\n');
