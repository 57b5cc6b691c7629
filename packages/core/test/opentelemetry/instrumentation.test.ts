import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@tooz/core';
import { TOOZ_ATTRIBUTES, TOOZ_METRICS, TOOZ_SPANS } from '@tooz/core/opentelemetry';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { memory, MemoryServer } from '../../../testing/src/memory/index.js';
import { otelHarness } from './harness.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('instrumentTooz', () => {
  it('maps lock names for metrics only, and keeps every unit in UCUM', async () => {
    const otel = otelHarness({ lockName: (name) => name.replace(/-\d+$/, '') });
    const a = await connect(memory({ server: new MemoryServer() }), { memberId: 'a' });
    for (const name of ['invoice-1', 'invoice-2']) await (await a.acquire(name)).release();

    const holds = await otel.points(TOOZ_METRICS.lockHold);
    expect(holds.map((point) => [point.attributes[TOOZ_ATTRIBUTES.lockName], point.count])).toEqual([['invoice', 2]]);
    const spanNames = otel.spans().map((span) => span.attributes[TOOZ_ATTRIBUTES.lockName]);
    expect(new Set(spanNames)).toEqual(new Set(['invoice-1', 'invoice-2']));
    const units = await otel.units();
    expect(units.get(TOOZ_METRICS.lockWait)).toBe('s');
    expect(units.get(TOOZ_METRICS.backendOperation)).toBe('s');
    expect(units.get(TOOZ_METRICS.connectionTransitions)).toBe('{transition}');
    await a.close();
    await otel.stop();
  });

  it('stops listening on stop(), ending the spans still open', async () => {
    const otel = otelHarness();
    const server = new MemoryServer();
    const a = await connect(memory({ server }), { memberId: 'a' });
    const b = await connect(memory({ server }), { memberId: 'b' });
    const held = await a.acquire('x');
    const waiting = b.lock('x').subscribe();
    expect(otel.spans().filter((span) => span.name === TOOZ_SPANS.acquire)).toHaveLength(1);
    otel.detach();
    // b's wait was open: its span ends, with no outcome.
    const acquires = otel.spans().filter((span) => span.name === TOOZ_SPANS.acquire);
    expect(acquires.map((span) => span.attributes[TOOZ_ATTRIBUTES.lockOutcome])).toEqual(['acquired', undefined]);

    await held.release();
    waiting.unsubscribe();
    await (await a.acquire('y')).release();
    expect(otel.spans()).toHaveLength(acquires.length);
    await Promise.all([a.close(), b.close()]);
    await otel.stop();
  });

  it('records the connection transitions of each driver', async () => {
    const otel = otelHarness();
    const server = new MemoryServer();
    const a = await connect(memory({ server }), { memberId: 'a' });
    server.suspend('a');
    await firstValueFrom(a.state$.pipe(filter((state) => state === 'suspended')));
    server.resume('a');
    await firstValueFrom(a.state$.pipe(filter((state) => state === 'reconnected')));
    await a.close();
    const states = await otel.points(TOOZ_METRICS.connectionTransitions);
    expect(new Map(states.map((point) => [point.attributes[TOOZ_ATTRIBUTES.connectionState], point.value]))).toEqual(
      new Map([
        ['connected', 1],
        ['suspended', 1],
        ['reconnected', 1],
        ['closed', 1],
      ]),
    );
    await otel.stop();
  });

  it('is the only code that imports @opentelemetry/api: the main entry works without it', () => {
    const importers = sources(SRC)
      .filter((file) => readFileSync(file, 'utf8').includes("from '@opentelemetry/"))
      .map((file) => file.slice(SRC.length + 1));
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((file) => !file.startsWith('opentelemetry/'))).toEqual([]);
  });
});
