import { randomUUID } from 'node:crypto';
import { connect, GroupNotFoundError, InvalidArgumentError, MemberNotJoinedError } from '@tooz/core';
import { rejectionOf, waitUntil } from '@tooz/testing';
import { firstValueFrom } from 'rxjs';
import { parseConnectionUrl } from '@tooz/core/driver';
import { fromUrl, IpcKeys, ipc } from '@tooz/driver-ipc';
import { describe, expect, it, onTestFinished } from 'vitest';
import { deleteGroups, hexKey, ipcsKeys } from './support.js';

function refusal(action: () => unknown): InvalidArgumentError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('expected a refusal');
}

const fresh = () => `bad-input-${randomUUID().slice(0, 8)}`;

/** What ipcs lists of a namespace: its tables, its member semaphores and its lock `a-lock`. */
function leftIn(namespace: string): string[] {
  const keys = new IpcKeys(namespace);
  const { semaphores, segments } = ipcsKeys();
  return [hexKey(keys.lock({ kind: 'lock', name: 'a-lock' })), hexKey(keys.table), hexKey(keys.groups)].filter(
    (key) => semaphores.has(key) || segments.has(key),
  );
}

const viaUrl = (url: string) => () => {
  const parsed = parseConnectionUrl(url);
  return fromUrl(parsed, Object.fromEntries(parsed.params));
};

describe('bad input', () => {
  it.each([
    ['ipc://somehost', 'url.host'],
    ['ipc://:99', 'url.host'],
    ['ipc://user@', 'url'],
    ['ipc:///some/path', 'url.path'],
    ['ipc://?executor=gevent', 'options.executor'],
    ['ipc://?sweep=maybe', 'options.sweep'],
    ['ipc://?colour=blue', 'options.colour'],
  ])('refuses %s, naming %s, and creates nothing', async (url, field) => {
    expect(refusal(viaUrl(url)).field).toBe(field);
    const namespace = fresh();
    await expect(connect(url, { namespace })).rejects.toMatchObject({ field });
    expect(leftIn(namespace)).toEqual([]);
  });

  it("accepts tooz's executor and ignores it", () => {
    expect(viaUrl('ipc://?executor=threaded')().description).toBe('ipc://');
    expect(viaUrl('ipc://')().capabilities.name).toBe('ipc');
  });

  it('refuses bad driver options, naming the field', () => {
    expect(refusal(() => ipc({ sweep: 'maybe' as unknown as boolean })).field).toBe('options.sweep');
    expect(refusal(() => ipc({ executor: 'threaded' } as never)).field).toBe('options.executor');
  });

  it('refuses a bad namespace before opening anything', async () => {
    await expect(connect('ipc://', { namespace: '../x' })).rejects.toMatchObject({ field: 'options.namespace' });
  });

  it('refuses bad lock names without creating a semaphore, and closes leaving nothing', async () => {
    const namespace = fresh();
    const coordinator = await connect('ipc://?executor=sync', { namespace });
    for (const name of ['', 'bad\uD800id', 'x'.repeat(1025)]) {
      await expect(coordinator.acquire(name)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    await (await coordinator.acquire('a-lock', { wait: 0 })).release();
    await coordinator.close();
    expect(leftIn(namespace)).toEqual([]);
  });

  it('refuses capabilities too large for a member record (4 KiB encoded), joining nothing', async () => {
    const namespace = fresh();
    const coordinator = await connect('ipc://', { namespace });
    // Also when an assertion fails: nothing of this namespace may outlive the test.
    onTestFinished(async () => {
      await coordinator.close();
      await deleteGroups(namespace, ['g']);
    });
    const group = coordinator.group('g');
    await group.create();
    const error = await rejectionOf(firstValueFrom(group.join({ blob: 'x'.repeat(5_000) })));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe('capabilities');
    expect((await group.members()).size).toBe(0);
    const membership = group.join({ small: true }).subscribe();
    await waitUntil(async () => (await group.members()).has(coordinator.memberId), 30_000, 'joined');
    expect(await rejectionOf(group.updateCapabilities({ blob: 'x'.repeat(5_000) }))).toBeInstanceOf(
      InvalidArgumentError,
    );
    expect((await group.members()).get(coordinator.memberId)).toEqual({ small: true });
    membership.unsubscribe();
    await waitUntil(async () => (await group.members()).size === 0, 30_000, 'left');
    await group.delete();
    await coordinator.close();
    expect(leftIn(namespace)).toEqual([]);
  });

  it('answers reads and refusals on missing groups without creating anything', async () => {
    const namespace = fresh();
    const coordinator = await connect('ipc://', { namespace });
    onTestFinished(() => coordinator.close());
    const group = coordinator.group('missing');
    expect(await coordinator.groups()).toEqual([]);
    expect(await rejectionOf(group.members())).toBeInstanceOf(GroupNotFoundError);
    expect(await rejectionOf(group.delete())).toBeInstanceOf(GroupNotFoundError);
    expect(await rejectionOf(firstValueFrom(group.join()))).toBeInstanceOf(GroupNotFoundError);
    expect(await rejectionOf(group.leave())).toBeInstanceOf(MemberNotJoinedError);
    // Only the lock table, attached while connected: no group objects.
    expect(leftIn(namespace)).toEqual([hexKey(new IpcKeys(namespace).table)]);
    await coordinator.close();
    expect(leftIn(namespace)).toEqual([]);
  });
});
