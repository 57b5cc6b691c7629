import type { EncodedCapabilities, GroupChange } from '@tooz/core/driver';
import { Event, Exception } from 'node-zookeeper-client';
import { Observable } from 'rxjs';
import { isConnectionFailure, toToozError, zkCode } from '../errors.js';
import type { ZkContext } from '../session.js';
import type { Watcher } from '../zk/client.js';
import { Rereader } from '../zk/rereader.js';

const NIL = Uint8Array.of(0xc0);

/**
 * Stored bytes as the SPI hands them on: a copy (the client's buffers may be
 * slices of a larger socket read), and msgpack nil for an empty node, which
 * only something other than tooz would write.
 */
export function storedCapabilities(data: Buffer): EncodedCapabilities {
  return data.length === 0 ? NIL : new Uint8Array(data);
}

interface MemberState {
  /** Last bytes reported; undefined until the first read answers. */
  bytes: EncodedCapabilities | undefined;
  reading: boolean;
  /** Seen deleted while a read was in flight: reported once that read has answered. */
  deleted: boolean;
  /** One stable watcher per member node, so the client keeps a single registration for it. */
  readonly watcher: Watcher;
}

/**
 * Changes to one group, from a child watch on the group node and a data
 * watch on each member node. ZooKeeper watches fire once and carry no data,
 * so every event re-reads with a new watch and compares with the snapshot
 * this watch holds: joins and leaves from the children, updates from the
 * data. What changed between two watches is merged, never missed, and every
 * change carries the member's full state, so core can apply it to any
 * snapshot. The first read arms the child watch before core reads its own
 * snapshot (requests of one session are answered in order), and reports
 * every member it finds, so nothing between the two reads is lost either.
 *
 * The server answers a read before it notifies a deletion that came after
 * it, but a promise delivers the answer a tick after the notification: a
 * deletion seen while a read is in flight waits for that read, so a member
 * that left right after joining is still reported joined, then left.
 * After a reconnection or a new session: `resync`, and everything re-armed.
 */
export function groupWatch(ctx: ZkContext, groupId: string): Observable<GroupChange> {
  return new Observable<GroupChange>((subscriber) => {
    const groupPath = ctx.keys.group(groupId);
    const members = new Map<string, MemberState>();
    let closed = false;
    let deleted = false;

    const fail = (error: unknown, path: string) => {
      // A lost connection is repaired through recovered$; anything else ends the watch.
      if (!isConnectionFailure(error)) subscriber.error(toToozError(error, path));
    };

    const forget = (name: string) => {
      const state = members.get(name);
      if (!state) return;
      if (state.reading) {
        state.deleted = true;
        return;
      }
      members.delete(name);
      subscriber.next({ type: 'left', memberId: ctx.keys.memberId(name) });
    };

    const track = (name: string): MemberState => {
      const state: MemberState = {
        bytes: undefined,
        reading: false,
        deleted: false,
        watcher: (event) => {
          if (closed || members.get(name) !== state) return;
          if (event.getType() === Event.NODE_DELETED) forget(name);
          else void readMember(name);
        },
      };
      members.set(name, state);
      return state;
    };

    const readMember = async (name: string): Promise<void> => {
      const state = members.get(name);
      if (!state) return;
      const path = `${groupPath}/${name}`;
      state.reading = true;
      try {
        const { data } = await ctx.connection.client.getData(path, state.watcher);
        state.reading = false;
        if (closed || members.get(name) !== state) return;
        const capabilities = storedCapabilities(data);
        const type = state.bytes === undefined ? 'joined' : 'updated';
        state.bytes = capabilities;
        subscriber.next({ type, memberId: ctx.keys.memberId(name), capabilities });
        if (state.deleted) forget(name);
      } catch (error) {
        state.reading = false;
        if (zkCode(error) === Exception.NO_NODE) forget(name);
        else fail(error, path);
      }
    };

    const readChildren = async (): Promise<void> => {
      let children: string[];
      try {
        ({ children } = await ctx.connection.client.getChildren(groupPath, childWatcher));
      } catch (error) {
        if (zkCode(error) !== Exception.NO_NODE) return fail(error, groupPath);
        for (const name of [...members.keys()]) forget(name);
        if (!deleted) {
          deleted = true;
          subscriber.next({ type: 'deleted' });
        }
        return;
      }
      deleted = false;
      const present = new Set(ctx.keys.memberNodes(children));
      for (const name of [...members.keys()]) if (!present.has(name)) forget(name);
      for (const name of present) {
        if (members.has(name)) continue;
        track(name);
        void readMember(name);
      }
    };

    const childReads = new Rereader(readChildren);
    const refresh = (): void => childReads.request();
    const childWatcher: Watcher = refresh;

    const recoveries = ctx.connection.recovered$.subscribe(() => {
      subscriber.next({ type: 'resync' });
      refresh();
      for (const name of members.keys()) void readMember(name);
    });
    refresh();
    return () => {
      closed = true;
      childReads.close();
      recoveries.unsubscribe();
    };
  });
}
