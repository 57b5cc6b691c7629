import { randomUUID } from 'node:crypto';
import { constants, linkSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConnectionError,
  type EncodedCapabilities,
  type GroupBackend,
  type GroupChange,
  GroupAlreadyExistsError,
  GroupNotEmptyError,
  GroupNotFoundError,
  type MemberHandle,
  MemberNotJoinedError,
} from '@tooz/core';
import { Observable } from 'rxjs';
import { errnoOf, isMissing, toBackendError } from './errors.js';
import { closeQuietly, FILE_MODE, readIfExists, stillAt, unlinkQuietly, writeAtomically } from './files.js';
import { groupWatch } from './group-watch.js';
import { joinMember, METADATA } from './join-member.js';
import { memberFiles, parseMemberFile } from './layout.js';
import { FileMemberHandle } from './member-handle.js';
import { isAlive, prune, readMember } from './member-files.js';
import { Pruner } from './pruner.js';
import type { SessionEnv } from './session-env.js';
import { syncCall } from './sync-call.js';
import { decodeGroupMetadata, encodeGroupMetadata, encodeMember, type MemberRecord } from './tooz-files.js';

/** A re-join waits this many times (1 ms apart) for someone pruning the same member's stale files. */
const PRUNE_WAITS = 200;

export type MemberState =
  | { readonly kind: 'alive'; readonly record: MemberRecord }
  | { readonly kind: 'dead'; readonly record: MemberRecord }
  | { readonly kind: 'gone' };

/**
 * Groups in tooz's layout: a directory per group with tooz's `.metadata`,
 * a tooz member file per member, and beside it the lock file whose lock the
 * member's process holds while it is a member.
 */
export class FileGroups implements GroupBackend {
  /** sha1 → member id, learned from every member file read (needed to name a member whose file is gone). */
  private readonly names = new Map<string, string>();
  private readonly joined = new Set<FileMemberHandle>();
  private readonly pruner: Pruner;

  constructor(private readonly env: SessionEnv) {
    this.pruner = new Pruner(env);
  }

  create(group: string): Observable<void> {
    return syncCall(() => {
      const { layout } = this.env;
      const dir = layout.groupDir(group);
      for (let attempt = 0; ; attempt++) {
        mkdirSync(dir, { recursive: true });
        // Written aside and linked into place: link() fails if the group exists, so one creator wins.
        const temp = join(layout.tmp, `${randomUUID()}.tooz`);
        writeFileSync(temp, encodeGroupMetadata(group), { flag: 'wx', mode: FILE_MODE });
        try {
          linkSync(temp, join(dir, METADATA));
          return;
        } catch (error) {
          if (errnoOf(error) === 'EEXIST') throw new GroupAlreadyExistsError(group);
          // A concurrent delete moved the directory away between mkdir and link.
          if (!isMissing(error) || attempt >= 3) throw error;
        } finally {
          unlinkQuietly(temp);
        }
      }
    });
  }

  delete(group: string): Observable<void> {
    return syncCall(() => {
      const dir = this.env.layout.groupDir(group);
      const metadata = join(dir, METADATA);
      let fd: number;
      try {
        fd = openSync(metadata, constants.O_RDWR | constants.O_NOFOLLOW);
      } catch (error) {
        if (isMissing(error)) throw new GroupNotFoundError(group);
        throw error;
      }
      let moved: string;
      try {
        // Joins hold a shared lock on the metadata while they join: one in progress means not empty.
        if (!this.env.addon.tryLock(fd, 2, 0, 1)) throw new GroupNotEmptyError(group);
        if (!stillAt(fd, metadata)) throw new GroupNotFoundError(group);
        for (const name of readdirSync(dir)) {
          const member = parseMemberFile(name);
          if (!member) continue;
          const state = this.memberState(dir, member.hash);
          if (state.kind === 'alive' || (state.kind === 'gone' && isAlive(this.env.addon, dir, member.hash))) {
            throw new GroupNotEmptyError(group);
          }
          // No grace here: the whole group is going, and its watchers are told so.
          prune(this.env.addon, dir, member.hash);
        }
        // One rename makes the group disappear whole; the rest is cleaned up out of sight.
        moved = join(this.env.layout.tmp, `${randomUUID()}.deleted`);
        renameSync(dir, moved);
      } finally {
        closeQuietly(fd);
      }
      rmSync(moved, { recursive: true, force: true });
    });
  }

  list(): Observable<readonly string[]> {
    return syncCall(() => {
      const { groups } = this.env.layout;
      let entries: string[];
      try {
        entries = readdirSync(groups);
      } catch (error) {
        if (isMissing(error)) return [];
        throw error;
      }
      const ids: string[] = [];
      for (const name of entries) {
        if (!/^[0-9a-f]{40}$/.test(name)) continue;
        const bytes = readIfExists(join(groups, name, METADATA));
        const id = bytes && decodeGroupMetadata(bytes);
        if (id !== undefined) ids.push(id);
      }
      return ids;
    });
  }

  join(group: string, capabilities: EncodedCapabilities): Observable<MemberHandle> {
    return new Observable<MemberHandle>((subscriber) => {
      let waits = 0;
      const attempt = (): void => {
        try {
          const handle = joinMember(this.env, group, capabilities);
          if (handle === 'pruning') {
            if (++waits > PRUNE_WAITS) throw new ConnectionError('Stale files of this member are being pruned');
            subscriber.add(this.env.scheduler.schedule(attempt, 1));
            return;
          }
          this.names.set(handle.hash, this.env.memberId);
          this.joined.add(handle);
          subscriber.next(handle);
          subscriber.complete();
        } catch (error) {
          subscriber.error(toBackendError(error));
        }
      };
      attempt();
    });
  }

  leave(_group: string, handle: MemberHandle): Observable<void> {
    return syncCall(() => {
      if (!(handle instanceof FileMemberHandle) || handle.left) return;
      handle.left = true;
      this.joined.delete(handle);
      // After a crash the files stay for a pruner: they may belong to a re-join by now.
      if (handle.dead) return;
      // Unlocked before the close, so that watchers woken by the close find the member gone.
      this.env.addon.tryLock(handle.fd, 0, 0, 1);
      closeQuietly(handle.fd);
      this.pruner.schedule(handle.dir, handle.hash);
    });
  }

  update(group: string, handle: MemberHandle, capabilities: EncodedCapabilities): Observable<void> {
    return syncCall(() => {
      const { memberId } = this.env;
      if (!(handle instanceof FileMemberHandle) || handle.left || handle.dead || !stillAt(handle.fd, handle.lockPath)) {
        throw new MemberNotJoinedError(group, memberId);
      }
      const record = encodeMember(memberId, capabilities, memberFiles(handle.hash).lock, handle.joinedOn);
      writeAtomically(this.env.layout.tmp, handle.rawPath, record);
    });
  }

  members(group: string): Observable<ReadonlyMap<string, EncodedCapabilities>> {
    return syncCall(() => {
      const dir = this.env.layout.groupDir(group);
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch (error) {
        if (isMissing(error)) throw new GroupNotFoundError(group);
        throw error;
      }
      if (!entries.includes(METADATA)) throw new GroupNotFoundError(group);
      const members = new Map<string, EncodedCapabilities>();
      for (const name of entries) {
        const member = parseMemberFile(name);
        if (member?.kind !== 'raw') continue;
        const state = this.memberState(dir, member.hash);
        if (state.kind === 'alive') members.set(state.record.memberId, state.record.capabilities);
      }
      return members;
    });
  }

  watch(group: string): Observable<GroupChange> {
    return groupWatch(this.env, this, group);
  }

  /**
   * What a member's files say now. A dead member of ours (file present, lock
   * free) is pruned after a grace period by whoever noticed. Python tooz's
   * members hold no lock and count as alive while their file exists.
   */
  memberState(dir: string, hash: string): MemberState {
    const record = readMember(dir, hash);
    if (!record) return { kind: 'gone' };
    this.names.set(hash, record.memberId);
    if (!record.ours || isAlive(this.env.addon, dir, hash)) return { kind: 'alive', record };
    this.pruner.schedule(dir, hash);
    return { kind: 'dead', record };
  }

  nameOf(hash: string): string | undefined {
    return this.names.get(hash);
  }

  /** As if the process had died: every member lock descriptor closed, the files left for others to prune. */
  dropAll(): void {
    for (const handle of this.joined) {
      handle.dead = true;
      closeQuietly(handle.fd);
    }
    this.joined.clear();
  }

  close(): void {
    for (const handle of [...this.joined]) {
      this.leave('', handle).subscribe({ error: () => undefined });
    }
    this.pruner.flush();
  }
}
