import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackPath, untrackPath } from './cleanup-registry.js';

/**
 * Ports are picked outside the kernel's ephemeral range: a port from that
 * range, freed by a stopped server, can be taken as the local port of any
 * outgoing connection (a reconnecting client!) before restart() binds it
 * again. And each port is claimed with a lock file, so parallel test
 * processes never pick the same one and a port stays ours across restarts.
 */
const LOCK_DIR = join(tmpdir(), 'tooz-test-ports');
const held = new Set<number>();

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // Not Linux: assume the IANA range.
  }
  return [49152, 65535];
}

function candidateRange(): [number, number] {
  const [low, high] = ephemeralRange();
  // Stay clear of well-known ports and of the ephemeral range, on its larger side.
  const below: [number, number] = [15000, low - 1];
  const above: [number, number] = [high + 1, 65535];
  return below[1] - below[0] >= above[1] - above[0] ? below : above;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryLock(port: number): boolean {
  const path = join(LOCK_DIR, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      trackPath(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left by a process that died without cleaning up is stale.
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(path, 'utf8'));
      } catch {
        // Raced with its removal: try again.
      }
      if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) return false;
      try {
        unlinkSync(path);
      } catch {
        // Someone else removed it first.
      }
    }
  }
  return false;
}

function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Claims a free loopback TCP port for this process until releasePort(). */
export async function claimPort(host = '127.0.0.1'): Promise<number> {
  mkdirSync(LOCK_DIR, { recursive: true, mode: 0o1777 });
  const [from, to] = candidateRange();
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (held.has(port) || !tryLock(port)) continue;
    if (await bindable(port, host)) {
      held.add(port);
      return port;
    }
    releaseLock(port);
  }
  throw new Error(`no free port found in ${from}-${to} on ${host}`);
}

/** Claims n distinct ports. */
export async function claimPorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await claimPort(host));
  return ports;
}

function releaseLock(port: number): void {
  const path = join(LOCK_DIR, String(port));
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
  untrackPath(path);
}

export function releasePort(port: number): void {
  if (!held.delete(port)) return;
  releaseLock(port);
}
