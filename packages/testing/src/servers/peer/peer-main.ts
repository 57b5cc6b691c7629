// A coordinator in a process of its own, driven by a test (see peer.ts):
//   node [--conditions=development --import tsx] peer-main.ts <driver module URL> <backend URL> <options JSON>
// Commands arrive on stdin, reports leave on stdout, one JSON object per
// line (peer-protocol.ts). It exits when its stdin closes: a test process
// that died takes its peers with it.
import { createInterface } from 'node:readline';
import { type Coordinator, connect, type DriverModule, GroupAlreadyExistsError, registerDriver } from '@tooz/core';
import type { Subscription } from 'rxjs';
import type { PeerCommand, PeerReport } from './peer-protocol.js';

const [driverUrl, url, optionsJson] = process.argv.slice(2);
if (!driverUrl || !url || !optionsJson) throw new Error('usage: peer-main <driver module URL> <url> <options JSON>');

let seq = 0;
/** Stamped the moment it is seen; stdout is a pipe, written synchronously on Linux, so nothing is lost at exit. */
function report(value: PeerReport): void {
  process.stdout.write(`${JSON.stringify({ ...value, seq: seq++, at: process.hrtime.bigint().toString() })}\n`);
}

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

const driver = (await import(driverUrl)) as DriverModule;
registerDriver(new URL(url).protocol.replace(/:$/, ''), driver);
const coordinator: Coordinator = await connect(url, JSON.parse(optionsJson) as Record<string, unknown>);
report({ kind: 'ready', pid: process.pid });
coordinator.state$.subscribe((state) => report({ kind: 'state', state }));

/** What each command subscribed, by lock name or group, so the matching command can end it. */
const locks = new Map<string, Subscription>();
const candidacies = new Map<string, Subscription>();
const memberships = new Map<string, Subscription>();

function lock(name: string, ttl?: number, wait?: number): void {
  const lock$ = coordinator.lock(name, {
    ...(ttl === undefined ? {} : { ttl }),
    ...(wait === undefined ? {} : { wait }),
  });
  const subscription = lock$.subscribe({
    next: (lease) => {
      const token = lease.fencingToken.toString();
      // Not tied to the lock's subscription: it completes by itself, after reporting `released` or `lost`.
      lease.state$.subscribe((state) => report({ kind: 'lock', name, state, token }));
    },
    error: (error: unknown) => {
      const reason = (error as { reason?: unknown }).reason;
      report({
        kind: 'lock-error',
        name,
        error: error instanceof Error ? error.name : 'Error',
        message: describe(error),
        ...(typeof reason === 'string' ? { reason } : {}),
      });
    },
  });
  locks.set(name, subscription);
}

async function join(group: string, capabilities?: Readonly<Record<string, unknown>>): Promise<void> {
  await coordinator
    .group(group)
    .create()
    .catch((error: unknown) => {
      if (!(error instanceof GroupAlreadyExistsError)) throw error;
    });
  const subscription = coordinator
    .group(group)
    .join(capabilities)
    .subscribe({
      next: () => report({ kind: 'membership', group, state: 'joined' }),
      error: (error: unknown) => report({ kind: 'membership', group, state: 'lost', error: describe(error) }),
    });
  memberships.set(group, subscription);
}

function end(subscriptions: Map<string, Subscription>, key: string): void {
  subscriptions.get(key)?.unsubscribe();
  subscriptions.delete(key);
}

async function run(command: PeerCommand): Promise<void> {
  switch (command.op) {
    case 'lock':
      return lock(command.name, command.ttl, command.wait);
    case 'unlock':
      return end(locks, command.name);
    case 'lead':
      candidacies.set(
        command.group,
        coordinator
          .leadership(command.group)
          .subscribe((leading) => report({ kind: 'leadership', group: command.group, leading })),
      );
      return;
    case 'resign':
      return end(candidacies, command.group);
    case 'join':
      return join(command.group, command.capabilities);
    case 'leave':
      return end(memberships, command.group);
    case 'close':
      await coordinator.close();
      report({ kind: 'ack', id: command.id });
      report({ kind: 'closed' });
      process.exit(0);
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  const command = JSON.parse(line) as PeerCommand;
  run(command).then(
    () => report({ kind: 'ack', id: command.id }),
    (error: unknown) => report({ kind: 'failed', id: command.id, error: describe(error) }),
  );
});
// The test process is gone (or done with us): nothing is left to report to.
lines.on('close', () => process.exit(0));
