import { connect, health, health$, healthOf } from '@tooz/core';
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { memory, MemoryServer } from '../../testing/src/memory/index.js';

describe('health', () => {
  it('maps each connection state to a probe answer', () => {
    expect(healthOf('connected')).toEqual({ status: 'up', state: 'connected', ready: true, live: true });
    expect(healthOf('suspended')).toMatchObject({ status: 'degraded', ready: false, live: true });
    expect(healthOf('lost')).toMatchObject({ status: 'down', ready: false, live: true });
    expect(healthOf('closed')).toMatchObject({ status: 'down', ready: false, live: false });
  });

  it('follows a coordinator through suspension and close', async () => {
    const server = new MemoryServer();
    const coordinator = await connect(memory({ server }), { memberId: 'h' });
    const seen = firstValueFrom(health$(coordinator).pipe(toArray()));
    expect(health(coordinator).ready).toBe(true);
    server.suspend('h');
    expect(health(coordinator).status).toBe('degraded');
    server.resume('h');
    await coordinator.close();
    expect((await seen).map((h) => h.status)).toEqual(['up', 'degraded', 'up', 'down']);
  });
});
