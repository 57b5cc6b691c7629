/**
 * A history worker: one process of a multi-process fault test. It connects
 * to the URL it is given, then, for a bounded time and number of rounds,
 * takes turns on one lock (acquire with a bounded wait, a few protected
 * writes, release) and stands for one leadership (a protected write now and
 * then while leading, standing down after a few), recording everything to
 * its history file the way a careful user would:
 *
 * - `acquire` with the fencing token as soon as the lease is delivered;
 * - before each write, the time is read, then the hold is checked with the
 *   synchronous reads (`lease.state === 'held' && !lease.signal.aborted`,
 *   `leadership.value` and `leadership.term`), which check the lease's
 *   deadline at the moment of the read; only then is the write recorded,
 *   dated at the time read *before* the check (the check proves the hold at
 *   a later moment, so a stall between the two cannot misdate it);
 * - `lost` from `lease.state$`, the lease's signal, or a read that says it is
 *   no longer held; `not-leader` from the leadership stream or a read;
 * - `release` (and `not-leader` before standing down) before letting go.
 *
 * Run by `startHistoryWorkers` (see harness.ts) with its configuration as
 * JSON in the TOOZ_HISTORY_WORKER environment variable. It exits by itself
 * once its time is up, or when its parent process goes away.
 */
import { type AsyncLockLease, type Coordinator, connect, LockTimeoutError } from '@tooz/core';
import { formatHistoryEntry } from './entry.js';
import { HistoryRecorder } from './recorder.js';
import { HISTORY_WORKER_ENV, type HistoryWorkerConfig, READY_LINE } from './worker-config.js';

function loadConfig(): HistoryWorkerConfig {
  const raw = process.env[HISTORY_WORKER_ENV];
  if (!raw) {
    process.stderr.write(`history worker: no configuration in ${HISTORY_WORKER_ENV}\n`);
    process.exit(2);
  }
  return JSON.parse(raw) as HistoryWorkerConfig;
}

const config = loadConfig();

const parent = process.ppid;
let stdoutBroken = false;
process.stdout.on('error', () => {
  stdoutBroken = true;
});
const say = (line: string) => {
  if (!stdoutBroken) process.stdout.write(`${line}\n`);
};

const recorder = new HistoryRecorder({
  process: config.memberId,
  output: config.output,
  onEntry: (entry) => say(formatHistoryEntry(entry)),
});
const started = performance.now();
const remaining = () => config.duration - (performance.now() - started);
/** Time is up, or the test that started us is gone (we were re-parented). */
const over = () => remaining() <= 0 || process.ppid !== parent || stdoutBroken;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

async function takeTurns(coordinator: Coordinator, lock: string): Promise<void> {
  for (let round = 0; round < config.rounds && !over(); round++) {
    let lease: AsyncLockLease;
    try {
      lease = await coordinator.acquire(lock, { wait: Math.max(0, Math.min(config.wait, remaining())) });
    } catch (error) {
      if (!(error instanceof LockTimeoutError)) {
        process.stderr.write(`history worker ${config.memberId}: acquire failed: ${describe(error)}\n`);
        await sleep(config.pauseBetween);
      }
      continue;
    }
    const token = lease.fencingToken;
    recorder.acquired(lock, token);
    let holding = true;
    const lost = (detail: string) => {
      if (!holding) return;
      holding = false;
      recorder.lost(lock, token, detail);
    };
    const watch = lease.state$.subscribe((state) => {
      if (state === 'lost') lost('state$: lost');
    });
    const onAbort = () => lost(`signal: ${describe(lease.signal.reason)}`);
    lease.signal.addEventListener('abort', onAbort);
    for (let write = 0; write < config.writes && holding; write++) {
      await sleep(config.writeInterval);
      const at = recorder.now();
      if (holding && lease.state === 'held' && !lease.signal.aborted) {
        recorder.wrote(lock, token, { time: at, detail: `write ${write + 1}` });
      } else if (lease.state === 'lost' || lease.signal.aborted) {
        lost(`read: ${lease.state}`);
      } else {
        break; // at-risk: start nothing that needs the lock; let it go
      }
    }
    watch.unsubscribe();
    lease.signal.removeEventListener('abort', onAbort);
    if (holding) {
      holding = false;
      recorder.released(lock, token);
    }
    await lease.release().catch((error: unknown) => {
      process.stderr.write(`history worker ${config.memberId}: release failed: ${describe(error)}\n`);
    });
    await sleep(config.pauseBetween);
  }
}

async function lead(coordinator: Coordinator, name: string): Promise<void> {
  const leadership = coordinator.leadership(name);
  let leading = false;
  let term: bigint | undefined;
  let writes = 0;
  const stop = (detail: string) => {
    if (!leading) return;
    leading = false;
    recorder.stoppedLeading(name, term, detail);
    term = undefined;
  };
  const begin = () => {
    // Read before anything is set: the read evaluates the seat's deadlines, and a loss it finds is
    // delivered (false) re-entrantly, inside this call. Recorded all the same, and ended at once.
    const current = leadership.term;
    leading = true;
    term = current;
    writes = 0;
    recorder.leading(name, current);
    if (!leadership.value) stop('lost as it began');
  };
  const candidacy = leadership.subscribe((value) => {
    if (value && leading && leadership.term !== term) stop('a new term began');
    if (value && !leading) begin();
    if (!value) stop('leadership: false');
  });
  while (!over()) {
    await sleep(config.leaderWriteInterval);
    const at = recorder.now();
    const value = leadership.value;
    const current = leadership.term;
    if (leading && value && current !== undefined && current === term) {
      recorder.wrote(name, current, { time: at, detail: `leader write ${++writes}` });
      if (config.leaderWrites > 0 && writes >= config.leaderWrites) {
        stop('stood down');
        await leadership.standDown().catch((error: unknown) => {
          process.stderr.write(`history worker ${config.memberId}: standDown failed: ${describe(error)}\n`);
        });
      }
    } else if (leading) {
      stop(`read: value ${value}, term ${current}`);
    }
  }
  stop('withdrew');
  candidacy.unsubscribe();
}

try {
  const coordinator = await connect(config.url, {
    memberId: config.memberId,
    ...(config.ttl !== undefined ? { ttl: config.ttl } : {}),
    ...(config.namespace !== undefined ? { namespace: config.namespace } : {}),
  });
  say(READY_LINE);
  await Promise.all([
    config.lock ? takeTurns(coordinator, config.lock) : undefined,
    config.leadership ? lead(coordinator, config.leadership) : undefined,
  ]);
  await coordinator.close();
  await recorder.close();
  process.exit(0);
} catch (error) {
  process.stderr.write(`history worker ${config.memberId}: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
}
