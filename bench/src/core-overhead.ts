/**
 * How much @tooz/core adds over the driver SPI, on the memory driver (whose
 * operations answer synchronously, so all that is measured is the SDK).
 * Goals (issue 2): core within 20% of the SPI, and at least 200,000
 * acquire+release per second.
 */
import { connect } from '@tooz/core';
import type { LockBackend, LockHandle, TryAcquireResult } from '@tooz/core/driver';
import { MemoryServer, memory } from '@tooz/testing';
import { from, take } from 'rxjs';
import { fmt, median, opsPerSecondSync } from './measure.js';
import { membershipEventCost, printMembershipCost } from './membership-cost.js';

export { membershipEventCost } from './membership-cost.js';

const ms = Number(process.env.BENCH_MS ?? 3_000);

export async function lockOverhead(): Promise<{ spi: number; core: number; ratio: number }> {
  const server = new MemoryServer();
  const coordinator = await connect(memory({ server }), { memberId: 'bench', ttl: 30_000 });
  const session = server.open({ memberId: 'raw' });
  const locks: LockBackend = session.locks;
  const key = { kind: 'lock', name: 'spi' } as const;

  const spiCycle = () => {
    let handle: LockHandle | undefined;
    from(locks.tryAcquire(key, { ttl: 30_000 })).subscribe((result: TryAcquireResult) => {
      if (result.acquired) handle = result.handle;
    });
    if (!handle) throw new Error('SPI acquire failed');
    from(locks.release(key, handle)).subscribe();
  };

  const coreCycle = () => {
    let held = false;
    coordinator
      .lock('core')
      .pipe(take(1))
      .subscribe(() => {
        held = true;
      });
    if (!held) throw new Error('core acquire failed');
  };
  // Alternating rounds, medians: one long run of each is at the mercy of GC
  // timing and of whatever else the machine is doing at that moment.
  const spiRounds: number[] = [];
  const coreRounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    spiRounds.push(opsPerSecondSync(spiCycle, ms / 5));
    coreRounds.push(opsPerSecondSync(coreCycle, ms / 5));
  }
  const spi = median(spiRounds);
  const core = median(coreRounds);

  await coordinator.close();
  return { spi, core, ratio: core / spi };
}

export async function main(): Promise<void> {
  const lock = await lockOverhead();
  console.log('core overhead on memory:// (synchronous backend, so only the SDK is measured)');
  console.log(`  acquire+release via the SPI directly : ${fmt(lock.spi)} /s`);
  console.log(`  acquire+release via coordinator.lock : ${fmt(lock.core)} /s`);
  console.log(
    `  ratio core/SPI                       : ${lock.ratio.toFixed(2)}  (goal ≥ 0.80; absolute goal ≥ 200,000/s)`,
  );
  // Two sizes: a per-change cost that grows with the group shows up as a gap between them.
  printMembershipCost(await membershipEventCost(1_000, { rounds: 7 }));
  printMembershipCost(await membershipEventCost(10_000, { rounds: 5 }));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
