/**
 * The quick-start demo on the embedded file driver: four worker processes
 * share a temporary directory, join a group, elect a leader, split jobs with
 * the hash ring and take turns on a lock with fencing tokens. Then the
 * leader process is killed with SIGKILL: the kernel drops its file locks, the
 * others see it leave and one of them takes over. No server is needed.
 *
 *   npx tsx --conditions=development examples/src/file-demo.ts
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, registerDriver } from '@tooz/core';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { type FromWorker, GROUP, JOBS, type ToWorker } from './file-demo/protocol.js';

// connect('file://...') would load @tooz/driver-file by itself in an application that depends on it.
registerDriver('file', await import('@tooz/driver-file'));

const WORKER = fileURLToPath(new URL('./file-demo/worker.ts', import.meta.url));
const PATIENCE = 15_000;

const log = (who: string, message: string) => console.log(`${who.padEnd(9)} │ ${message}`);
const since = (start: number) => `${(performance.now() - start).toFixed(0)} ms`;

/** A worker process, and the messages it sent that nobody has taken yet. */
class Worker {
  readonly inbox: FromWorker[] = [];
  private readonly waiters: Array<() => void> = [];
  readonly process: ChildProcess;
  /** What the worker last said about its leadership. */
  leading = false;

  constructor(
    readonly id: string,
    directory: string,
    readonly weight: number,
  ) {
    this.process = fork(WORKER, [directory, id, String(weight)], {
      execArgv: ['--conditions=development', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.process.on('message', (message: FromWorker) => {
      if (message.type === 'leading') this.leading = message.value;
      else this.inbox.push(message);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  send(message: ToWorker): void {
    this.process.send(message);
  }

  /** The next message of this type (taken from the inbox), within the demo's patience. */
  async next<T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>> {
    let found: FromWorker | undefined;
    await this.until(() => {
      const index = this.inbox.findIndex((m) => m.type === type);
      found = index >= 0 ? this.inbox.splice(index, 1)[0] : undefined;
      return found !== undefined;
    }, `no ${type}`);
    return found as Extract<FromWorker, { type: T }>;
  }

  /** Once the worker itself says it leads. */
  whenLeading(): Promise<void> {
    return this.until(() => this.leading, 'never led');
  }

  private async until(condition: () => boolean, failure: string): Promise<void> {
    const deadline = performance.now() + PATIENCE;
    while (!condition()) {
      if (this.process.exitCode !== null || performance.now() > deadline) throw new Error(`${this.id}: ${failure}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
}

async function showPartitions(workers: Worker[]) {
  for (const worker of workers) worker.send({ cmd: 'partition', members: workers.length });
  for (const worker of workers) {
    const { jobs, weight } = await worker.next('owns');
    log(
      worker.id,
      `owns ${String(jobs.length).padStart(2)} of ${JOBS.length} jobs (weight ${weight}): ${jobs.join(' ')}`,
    );
  }
}

async function main() {
  const started = performance.now();
  const directory = mkdtempSync(join(tmpdir(), 'tooz-file-demo-'));
  const workers: Worker[] = [];
  try {
    console.log(`tooz demo: four worker processes on file://${directory} (no server needed)\n`);
    const admin = await connect(`file://${directory}`, { memberId: 'admin' });
    await admin.group(GROUP).create();
    log('admin', `created group "${GROUP}"`);

    console.log('\n— four processes join the group and elect a leader —');
    for (const [i, id] of ['worker-1', 'worker-2', 'worker-3', 'worker-4'].entries()) {
      workers.push(new Worker(id, directory, i === 0 ? 2 : 1));
    }
    for (const worker of workers) {
      await worker.next('joined');
      log(worker.id, `pid ${worker.pid} joined "${GROUP}" with weight ${worker.weight}`);
    }
    const leader = await firstValueFrom(
      admin.leadership(GROUP).leader$.pipe(
        filter((id): id is string => id !== null),
        timeout(PATIENCE),
      ),
    );
    const elected = workers.find((w) => w.id === leader);
    if (!elected) throw new Error(`the leader ${leader} is not one of the workers`);
    await elected.whenLeading();
    log(leader, '★ elected leader');
    const members = await admin.group(GROUP).members();
    log('admin', `members: ${[...members.keys()].sort().join(', ')}; leader: ${leader}`);

    console.log('\n— partitioning 12 jobs with the tooz-compatible hash ring —');
    await showPartitions(workers);

    console.log('\n— four processes contend for one lock —');
    for (const worker of workers) worker.send({ cmd: 'contend' });
    const turns: Array<{ id: string; token: bigint }> = [];
    await Promise.all(
      workers.map(async (worker) => {
        const { token } = await worker.next('locked');
        turns.push({ id: worker.id, token: BigInt(token) });
        log(worker.id, `holds invoice-42, fencing token ${token}`);
        await worker.next('contended');
      }),
    );
    const increasing = turns.every((turn, i) => i === 0 || turn.token > (turns[i - 1]?.token ?? 0n));
    log(
      'admin',
      `tokens in the order the lock was held: ${turns.map((t) => t.token).join(' < ')}${increasing ? '' : ' (NOT INCREASING!)'}`,
    );

    const gone = elected;
    console.log(`\n— the leader (${gone.id}, pid ${gone.pid}) is killed with SIGKILL —`);
    const left = firstValueFrom(
      admin.group(GROUP).events$.pipe(
        filter((e) => e.type === 'left' && e.memberId === gone.id),
        timeout(PATIENCE),
      ),
    );
    const successor = firstValueFrom(
      admin.leadership(GROUP).leader$.pipe(
        filter((id): id is string => id !== null && id !== gone.id),
        timeout(PATIENCE),
      ),
    );
    const killedAt = performance.now();
    gone.process.kill('SIGKILL');
    await left;
    log('admin', `saw ${gone.id} leave the group ${since(killedAt)} after the kill (the kernel dropped its locks)`);
    const next = await successor;
    log('admin', `new leader: ${next}, ${since(killedAt)} after the kill`);
    workers.splice(workers.indexOf(gone), 1);
    await workers.find((w) => w.id === next)?.whenLeading();
    log(next, '★ took over as leader');

    console.log('\n— partitions after the failover —');
    await showPartitions(workers);

    for (const worker of workers) worker.send({ cmd: 'exit' });
    await Promise.all(workers.map((w) => new Promise((resolve) => w.process.once('exit', resolve))));
    await admin.close();
    console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  } finally {
    for (const worker of workers) if (worker.process.exitCode === null) worker.process.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
