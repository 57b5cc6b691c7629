import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect, TELEMETRY_CHANNELS, type TelemetryEvent } from '@tooz/core';
import { firstValueFrom, filter } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { memory, MemoryServer } from '../../testing/src/memory/index.js';

const seen: TelemetryEvent[] = [];
const listener = (message: unknown) => seen.push(message as TelemetryEvent);
for (const name of Object.values(TELEMETRY_CHANNELS)) subscribe(name, listener);
afterEach(() => {
  seen.length = 0;
});

describe('telemetry', () => {
  it('publishes lock, membership, leadership and state events on diagnostics_channel, and logs them', async () => {
    const logged: Array<{ level: string; message: string }> = [];
    const logger = {
      debug: (_: object, message: string) => logged.push({ level: 'debug', message }),
      info: (_: object, message: string) => logged.push({ level: 'info', message }),
      warn: (_: object, message: string) => logged.push({ level: 'warn', message }),
    };
    const server = new MemoryServer();
    const a = await connect(memory({ server }), { memberId: 'a', logger });
    const lease = await a.acquire('invoices');
    await lease.release();
    await a.group('g').create();
    const membership = a.group('g').join().subscribe();
    await firstValueFrom(a.group('g').members$.pipe(filter((members) => members.has('a'))));
    membership.unsubscribe();
    const leading = a.leadership('l').subscribe();
    await a.leadership('l').whenLeading();
    leading.unsubscribe();
    await a.close();
    const kinds = seen.map(
      (event) =>
        `${event.kind}:${'event' in event ? event.event : 'leading' in event ? event.leading : 'state' in event ? event.state : ''}`,
    );
    expect(kinds).toEqual(
      expect.arrayContaining([
        'state:connected',
        'lock:held',
        'lock:released',
        'membership:joined',
        'membership:left',
        'leadership:true',
        'state:closed',
      ]),
    );
    expect(seen.find((event) => event.kind === 'lock' && event.event === 'held')).toMatchObject({
      name: 'invoices',
      memberId: 'a',
      token: String(lease.fencingToken),
    });
    expect(logged.map((entry) => entry.message)).toEqual(expect.arrayContaining(['lock invoices held', 'leading l']));
  });

  it('reports a loss with its reason, as a warning', async () => {
    const warnings: string[] = [];
    const server = new MemoryServer();
    const a = await connect(memory({ server }), {
      memberId: 'a',
      logger: { warn: (_: object, message: string) => warnings.push(message) },
    });
    const b = await connect(memory({ server }), { memberId: 'b' });
    const lease = await a.acquire('x');
    await b.breakLock('x');
    await firstValueFrom(lease.state$.pipe(filter((state) => state === 'lost')));
    expect(seen).toContainEqual(expect.objectContaining({ kind: 'lock', event: 'lost', reason: 'stolen', name: 'x' }));
    expect(warnings).toContain('lock x lost');
    await Promise.all([a.close(), b.close()]);
  });
});

process.on('exit', () => {
  for (const name of Object.values(TELEMETRY_CHANNELS)) unsubscribe(name, listener);
});
