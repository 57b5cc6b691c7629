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
  HoldRegistry,
  LossSignal,
  type MemberHandle,
  MemberNotJoinedError,
  SharedWatches,
} from '@tooz/core/driver';
import type { Observable } from 'rxjs';
import { errnoOf, isMissing } from './errors.js';
import { closeQuietly, FILE_MODE, readIfExists, stillAt, unlinkQuietly, writeAtomically } from './files.js';
import { groupWatch } from './groups/group-watch.js';
import { isAlive, type JoinedFiles, joinMember, Pruner, prune, readMember } from './groups/member-files.js';
import { decodeGroupMetadata, encodeGroupMetadata, encodeMember, type MemberRecord } from './groups/tooz-files.js';
import { isGroupDir, METADATA, memberLockName, metadataPath, parseMemberFile } from './keys.js';
import type { SessionEnv } from './session.js';
import { AGAIN, syncAttempts, syncCall } from './sync-call.js';

/** A re-join waits this many times (1 ms apart) for someone pruning the same member's stale files. */
const PRUNE_WAITS = 200;

/** One membership: the descriptor holding the lock on the member's `.lock` file. */
export class FileMemberHandle implements MemberHandle {
  readonly loss = new LossSignal();
  readonly lost$ = this.loss.lost$;
  stopWatching = (): void => undefined;

  constructor(
    readonly dir: string,
    readonly files: JoinedFiles,
  ) {}
}

export type MemberState =
  | { readonly kind: 'alive'; readonly record: MemberRecord }
  | { readonly kind: 'dead'; readonly record: MemberRecord }
  | { readonly kind: 'gone' };

/**
 * Groups in tooz's layout: a directory per group with tooz's `.metadata`,
 * a tooz member file per member, and beside it the lock file whose lock the
 * member's process holds while it is a member.
 */
export class FileGroups implements GroupBackend<FileMemberHandle> {
  /** sha1 → member id, learned from every member file read (needed to name a member whose file is gone). */
  private readonly names = new Map<string, string>();
  private readonly holds = new HoldRegistry<FileMemberHandle>();
  private readonly pruner: Pruner;
  private readonly watches: SharedWatches<string, GroupChange>;

  constructor(private readonly env: SessionEnv) {
    this.pruner = new Pruner(env.addon, env.scheduler);
    this.watches = new SharedWatches((group) => groupWatch(env, this, group));
  }

  create(group: string): Observable<void> {
    return syncCall(() => {
      const { keys } = this.env;
      const dir = keys.group(group);
      for (let attempt = 0; ; attempt++) {
        mkdirSync(dir, { recursive: true });
        // Written aside and linked into place: link() fails if the group exists, so one creator wins.
        const temp = keys.temp();
        writeFileSync(temp, encodeGroupMetadata(group), { flag: 'wx', mode: FILE_MODE });
        try {
          linkSync(temp, metadataPath(dir));
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
      const dir = this.env.keys.group(group);
      const metadata = metadataPath(dir);
      let fd: number;
      try {
        fd = openSync(metadata, constants.O_RDWR | constants.O_NOFOLLOW);
      } catch (error) {
        if (isMissing(error)) throw new GroupNotFoundError(group);
        throw error;
      }
      const moved = this.env.keys.temp('deleted');
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
        renameSync(dir, moved);
      } finally {
        closeQuietly(fd);
      }
      rmSync(moved, { recursive: true, force: true });
    });
  }

  list(): Observable<readonly string[]> {
    return syncCall(() => {
      const { groups } = this.env.keys;
      let entries: string[];
      try {
        entries = readdirSync(groups);
      } catch (error) {
        if (isMissing(error)) return [];
        throw error;
      }
      const ids: string[] = [];
      for (const name of entries.filter(isGroupDir)) {
        const bytes = readIfExists(metadataPath(join(groups, name)));
        const id = bytes && decodeGroupMetadata(bytes);
        if (id !== undefined) ids.push(id);
      }
      return ids;
    });
  }

  join(group: string, capabilities: EncodedCapabilities): Observable<FileMemberHandle> {
    const joinOnce = () => {
      const files = joinMember(this.env, group, capabilities);
      return files === AGAIN ? AGAIN : this.adopt(group, files);
    };
    return syncAttempts(this.env.scheduler, PRUNE_WAITS, joinOnce, () => {
      throw new ConnectionError('Stale files of this member are being pruned');
    });
  }

  leave(_group: string, handle: FileMemberHandle): Observable<void> {
    return syncCall(() => {
      // A crashed session's files stay for a pruner: they may belong to a re-join by now.
      if (!this.holds.take(handle)) return;
      handle.stopWatching();
      // Unlocked before the close, so that watchers woken by the close find the member gone.
      this.env.addon.tryLock(handle.files.fd, 0, 0, 1);
      closeQuietly(handle.files.fd);
      this.pruner.schedule(handle.dir, handle.files.hash);
    });
  }

  update(group: string, handle: FileMemberHandle, capabilities: EncodedCapabilities): Observable<void> {
    return syncCall(() => {
      const { memberId } = this.env;
      const { fd, hash, paths, joinedOn } = handle.files;
      if (!this.holds.owns(handle) || !stillAt(fd, paths.lock)) throw new MemberNotJoinedError(group, memberId);
      const record = encodeMember(memberId, capabilities, memberLockName(hash), joinedOn);
      writeAtomically(this.env.keys.temp(), paths.raw, record);
    });
  }

  members(group: string): Observable<ReadonlyMap<string, EncodedCapabilities>> {
    return syncCall(() => {
      const dir = this.env.keys.group(group);
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
    return this.watches.get(group);
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
    for (const handle of this.holds.bury()) {
      handle.stopWatching();
      closeQuietly(handle.files.fd);
    }
  }

  close(): void {
    for (const handle of [...this.holds.values()]) {
      this.leave('', handle).subscribe({ error: () => undefined });
    }
    this.pruner.flush();
  }

  /** Records the membership, and tells it when its files are deleted by someone else (by hand, or a group removed). */
  private adopt(group: string, files: JoinedFiles): FileMemberHandle {
    const handle = new FileMemberHandle(this.env.keys.group(group), files);
    this.names.set(files.hash, this.env.memberId);
    this.holds.add(handle);
    const check = () => {
      if (!this.holds.owns(handle)) return;
      if (!stillAt(files.fd, files.paths.lock) || readIfExists(files.paths.raw) === undefined) handle.loss.stolen();
    };
    const stopRaw = this.env.removals.on(files.paths.raw, check);
    const stopLock = this.env.removals.on(files.paths.lock, check);
    handle.stopWatching = () => {
      stopRaw();
      stopLock();
    };
    return handle;
  }
}
