import { waitUntil } from '@tooz/testing';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Coordinator, connect } from '@tooz/core';
import { Redis } from 'ioredis';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from './support/servers.js';

// Debian's python3-tooz (3.1.0), not the pyenv python on PATH.
const PYTHON = '/usr/bin/python3';
const MEMBER_SCRIPT = fileURLToPath(new URL('./fixtures/tooz_member.py', import.meta.url));

let server: RedisServer;
let coordinator: Coordinator;
beforeAll(async () => {
  server = await startRedis();
  // tooz's default namespace: with it, both libraries use the same keys.
  coordinator = await connect(server.url, { memberId: 'ts', namespace: '_tooz', ttl: 10_000 });
});
afterAll(async () => {
  await coordinator?.close();
  await server?.[Symbol.asyncDispose]();
});

describe('sharing a server with Python tooz', () => {
  it('sees tooz members, and is seen by them, in one group', async () => {
    const group = coordinator.group('shared');
    await group.create();
    const joined = new Promise<void>((resolve, reject) => {
      group.join({ role: 'ts', weight: 1 }).subscribe({ next: () => resolve(), error: reject });
    });
    await joined;

    const { stdout } = await promisify(execFile)(PYTHON, [MEMBER_SCRIPT, server.url, 'shared', 'py', 'ts'], {
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual({ members: ['py', 'ts'], peer: { role: 'ts', weight: 1 } });

    const members = await group.members();
    expect(members.get('py')).toEqual({ weight: 2 });
    expect(members.get('ts')).toEqual({ role: 'ts', weight: 1 });

    // tooz's liveness is the member's beat key: once it is gone, a read prunes the member, and watchers hear it.
    const views: ReadonlyMap<string, unknown>[] = [];
    const watching = group.members$.subscribe((view) => views.push(view));
    const withoutPy = firstValueFrom(
      group.members$.pipe(
        filter((view) => !view.has('py')),
        timeout(20_000),
      ),
    );
    await waitUntil(() => views.some((view) => view.has('py')));
    const admin = new Redis(server.url);
    await admin.del('_tooz_beats:py');
    admin.disconnect();
    // A one-shot read (by a coordinator with no live view of the group) prunes it.
    const reader = await connect(server.url, { memberId: 'reader', namespace: '_tooz' });
    expect((await reader.group('shared').members()).has('py')).toBe(false);
    await reader.close();
    expect([...(await withoutPy).keys()]).toEqual(['ts']);
    watching.unsubscribe();
  });
});
