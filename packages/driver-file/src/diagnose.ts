import { statfs } from 'node:fs/promises';
import type { DriverDiagnosis } from '@tooz/core/driver';

/**
 * File system magic numbers (statfs(2) `f_type`, linux/magic.h) worth
 * naming. The network ones carry a warning; the rest are named only.
 */
const NETWORK_FILE_SYSTEMS = new Map<number, string>([
  [0x6969, 'nfs'],
  [0x517b, 'smb'],
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x65735546, 'fuse'],
  [0x00c36400, 'ceph'],
  [0x5346414f, 'afs'],
  [0x01021997, '9p'],
  [0x0bd00bd0, 'lustre'],
  [0x01161970, 'gfs2'],
  [0x7461636f, 'ocfs2'],
]);
const LOCAL_FILE_SYSTEMS = new Map<number, string>([
  [0xef53, 'ext4'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
  [0x01021994, 'tmpfs'],
  [0x794c7630, 'overlay'],
  [0x2fc12fc1, 'zfs'],
  [0xf2f52010, 'f2fs'],
]);

/**
 * What `tooz doctor` shows for the file driver: the directory, its file
 * system and free space, with a warning when the file system is a network
 * or FUSE one. There, inotify sees only this host's changes (waiters and
 * watchers on other hosts miss releases and leaves until their safety
 * retry), and the OFD locks are only as good as the remote lock manager,
 * which may drop them (a server restart, a partition) without telling the
 * holder. The driver is for processes on one host.
 */
export async function diagnoseFile(directory: string): Promise<DriverDiagnosis> {
  const stats = await statfs(directory);
  // f_type is unsigned in the kernel; Node may hand it over as a negative 32-bit number.
  const type = stats.type >>> 0;
  const network = NETWORK_FILE_SYSTEMS.get(type);
  const fileSystem = network ?? LOCAL_FILE_SYSTEMS.get(type) ?? `0x${type.toString(16)}`;
  const warnings = network
    ? [
        `${directory} is on ${network}, a network or FUSE file system: inotify does not see the changes of other hosts, ` +
          'and locks depend on the remote lock manager, which can drop them without telling the holder. ' +
          'The file driver is for processes on one host: use a local directory, or a networked backend across hosts.',
      ]
    : [];
  return {
    server: { directory, fileSystem, freeBytes: stats.bavail * stats.bsize },
    warnings,
  };
}
