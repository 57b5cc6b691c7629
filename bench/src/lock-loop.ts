/** A fixed number of uncontended acquire+release cycles, for instruction counting (perf stat / callgrind). */
import { connect } from '@tooz/core';
import { MemoryServer, memory } from '@tooz/testing';
import { take } from 'rxjs';

const cycles = Number(process.argv[2] ?? 200_000);
const server = new MemoryServer();
const coordinator = await connect(memory({ server }), { memberId: 'loop', ttl: 30_000 });
for (let i = 0; i < cycles; i++) coordinator.lock('x').pipe(take(1)).subscribe();
await coordinator.close();
