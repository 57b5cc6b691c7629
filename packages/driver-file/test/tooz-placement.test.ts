import { join } from 'node:path';
import { connect } from '@tooz/core';
import { file } from '@tooz/driver-file';
import { ToozPeer, until, waitUntil } from '@tooz/testing';
import { describe, expect, it } from 'vitest';
import { scratchDirectory } from './support.js';

const directory = scratchDirectory('placement');

describe('Python tooz and this SDK see the same world (file driver)', () => {
  it("reads Python's default capabilities as null, and Python reads ours as None", async () => {
    await using ts = await connect(file({ directory }), { memberId: 'ts-caps' });
    await using py = await ToozPeer.start({ url: `file://${join(directory, 'tooz')}`, memberId: 'py-caps' });
    await ts.group('caps').create();
    const membership = ts.group('caps').join().subscribe();
    expect(await py.run('join', 'caps')).toBe(true);
    const members = await ts.group('caps').members();
    expect(members.get('py-caps')).toBeNull();
    expect(members.get('ts-caps')).toBeNull();
    expect(await py.run('capabilities', 'caps', 'ts-caps')).toBeNull();
    expect(await py.run('capabilities', 'caps', 'py-caps')).toEqual({ bytes: '' });
    membership.unsubscribe();
    await py.run('leave', 'caps');
  });

  it("places strings, booleans, None, numbers and bytes on the same members as Python's partitioner", async () => {
    await using ts = await connect(file({ directory }), { memberId: 'ts-part' });
    await ts.group('jobs').create();
    const membership = ts.group('jobs').join({ weight: 1 }).subscribe();
    await using py = await ToozPeer.start({ url: `file://${join(directory, 'tooz')}`, memberId: 'py-part' });
    expect(await py.run('join_partitioned', 'jobs')).toBe(true);
    const partitioner = await until(ts.group('jobs').partitioner(), (p) => p.members.size === 2, 'both members');
    const objects: unknown[] = [
      'job-1',
      'чупакабра',
      true,
      false,
      null,
      0,
      2,
      -7,
      123456789,
      2.5,
      -0.5,
      0.1,
      1e-7,
      1.5e300,
      new TextEncoder().encode('abc'),
      Uint8Array.of(0, 255, 39, 92),
    ];
    // Python reads the other member through its watchers: wait until it places by both.
    await waitUntil(
      async () => {
        const all = new Set<unknown>();
        for (let i = 0; i < 16; i++)
          for (const m of (await py.run('members_for', 'jobs', `probe-${i}`)) as string[]) all.add(m);
        return all.size === 2;
      },
      30_000,
      'Python sees both members',
    );
    let differing = 0;
    for (const obj of objects) {
      const python = (await py.run('members_for', 'jobs', obj)) as string[];
      const ours = [...partitioner.membersFor(obj)].sort();
      if (JSON.stringify(ours) !== JSON.stringify(python)) differing++;
      expect(ours, `placement of ${String(obj)}`).toEqual(python);
    }
    expect(differing).toBe(0);
    // And the strings placed by are Python's own str().
    expect(await py.run('str', true)).toBe('True');
    membership.unsubscribe();
  });
});
