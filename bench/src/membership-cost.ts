/**
 * What a membership change costs a watcher, on the memory driver (whose
 * operations answer synchronously, so what is measured is CPU alone). The
 * members join and leave through the SPI, one session each: 10,000
 * coordinators would measure their own keep-alive timers, not the watcher.
 *
 * Each round joins every member then makes each leave (2 × members changes)
 * under one of three watchers, rotating which goes first:
 *   spi          a raw SPI watch only (the baseline),
 *   view         the same plus `members$` (a snapshot per change),
 *   partitioner  the same plus `partitioner()` (a Partitioner per change).
 * view − spi is the view's own cost per change; partitioner − view is the
 * ring update's. Medians over rounds of per-round differences.
 */
import { connect, encodeCapabilities, Partitioner } from '@tooz/core';
import { MemoryServer, memory } from '@tooz/testing';
import { from, type Subscription } from 'rxjs';
import { median } from './measure.js';

export interface MembershipCost {
  readonly members: number;
  readonly rounds: number;
  /** µs per change with only the SPI watch. */
  readonly spiMicros: number;
  /** µs per change that members$ adds on top. */
  readonly viewMicros: number;
  /** µs per change that partitioner() adds on top of members$. */
  readonly partitionerMicros: number;
  /** ms to build a Partitioner from scratch for the full group (what each change cost before). */
  readonly rebuildMillis: number;
}

type Mode = 'spi' | 'view' | 'partitioner';
const MODES: readonly Mode[] = ['spi', 'view', 'partitioner'];

export async function membershipEventCost(
  members = 1_000,
  { rounds = 5, budgetMs = 60_000 }: { rounds?: number; budgetMs?: number } = {},
): Promise<MembershipCost> {
  const server = new MemoryServer();
  const watcher = await connect(memory({ server }), { memberId: 'watcher', ttl: 60_000 });
  const group = watcher.group('big');
  await group.create();
  const sessions = Array.from({ length: members }, (_, i) => server.open({ memberId: `member-${i}` }));
  const raw = server.open({ memberId: 'raw' });
  const capabilities = encodeCapabilities({ weight: 1 });
  type Handle = Parameters<typeof raw.groups.leave>[1];

  // A small group's round is over in milliseconds: repeat it to about 20,000 changes, or timer noise wins.
  const repeats = Math.max(1, Math.round(10_000 / members));
  /** One round: everyone joins, then everyone leaves, `repeats` times; returns µs per change. */
  const round = (): number => {
    const start = performance.now();
    for (let r = 0; r < repeats; r++) {
      const handles: Handle[] = [];
      for (const session of sessions) {
        from(session.groups.join('big', capabilities, { ttl: 60_000 })).subscribe((handle) => handles.push(handle));
      }
      if (handles.length !== members) throw new Error(`${handles.length} of ${members} joins answered synchronously`);
      sessions.forEach((session, i) => {
        from(session.groups.leave('big', handles[i] as Handle)).subscribe();
      });
    }
    return ((performance.now() - start) * 1_000) / (2 * members * repeats);
  };

  const watched = (mode: Mode): number => {
    let changes = 0;
    let views = 0;
    const subscriptions: Subscription[] = [raw.groups.watch('big').subscribe(() => changes++)];
    if (mode === 'view') subscriptions.push(group.members$.subscribe(() => views++));
    if (mode === 'partitioner') subscriptions.push(group.partitioner().subscribe(() => views++));
    try {
      const micros = round();
      const expected = 2 * members * repeats;
      if (changes !== expected) throw new Error(`the SPI watch saw ${changes} of ${expected} changes`);
      // One view for the (empty) snapshot, then one per change.
      if (mode !== 'spi' && views !== expected + 1) throw new Error(`${mode} saw ${views - 1} of ${expected}`);
      return micros;
    } finally {
      for (const subscription of subscriptions) subscription.unsubscribe();
    }
  };

  const deadline = performance.now() + budgetMs;
  for (const mode of MODES) watched(mode); // warm-up: the JIT, and the sessions' first allocations
  const measured: Array<Record<Mode, number>> = [];
  for (let r = 0; r < rounds && (r < 1 || performance.now() < deadline); r++) {
    const result = {} as Record<Mode, number>;
    for (let i = 0; i < MODES.length; i++) {
      const mode = MODES[(r + i) % MODES.length] as Mode;
      result[mode] = watched(mode);
    }
    measured.push(result);
  }

  const full = new Map(sessions.map((_, i) => [`member-${i}`, { weight: 1 }]));
  const buildStart = performance.now();
  new Partitioner(full, 'watcher');
  const rebuildMillis = performance.now() - buildStart;

  for (const session of [...sessions, raw]) session.close().subscribe();
  await watcher.close();
  return {
    members,
    rounds: measured.length,
    spiMicros: median(measured.map((m) => m.spi)),
    viewMicros: median(measured.map((m) => m.view - m.spi)),
    partitionerMicros: median(measured.map((m) => m.partitioner - m.view)),
    rebuildMillis,
  };
}

export function printMembershipCost(cost: MembershipCost): void {
  const n = cost.members.toLocaleString('en-US');
  console.log(`membership changes in a ${n}-member group (joins then leaves, ${cost.rounds} rounds, medians)`);
  console.log(`  SPI watch alone (baseline)           : ${cost.spiMicros.toFixed(2)} µs per change`);
  console.log(
    `  members$ view on top                 : ${cost.viewMicros.toFixed(2)} µs per change` +
      `  (${(cost.viewMicros / cost.spiMicros).toFixed(2)}× the SPI; goal ≤ 2×, independent of group size)`,
  );
  console.log(`  partitioner() update on top of that  : ${cost.partitionerMicros.toFixed(2)} µs per change`);
  console.log(`  one Partitioner built from scratch   : ${cost.rebuildMillis.toFixed(1)} ms (the old per-change cost)`);
}
