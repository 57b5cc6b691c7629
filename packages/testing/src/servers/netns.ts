import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { trackProcessGroup, untrackProcessGroup } from './cleanup-registry.js';
import { type FirewallCommand, firewallSetup, markHost } from './netns-firewall.js';
import { enter, NetnsHost } from './netns-host.js';
import { runCommand } from './run-command.js';
import type { LaunchSpec } from './server-process.js';

/**
 * A network namespace of the test's own, for partitions that drop packets
 * for real (a TCP proxy cannot: its kernel keeps answering the server's
 * keepalives, so the server never times the client out).
 *
 * How it is set up:
 * - an anchor process, `unshare --net` running `cat` on a pipe from the test
 *   process, holds the namespace (and dies with the test process, however
 *   it dies: the pipe closes); inside it only a loopback exists, brought up;
 * - servers run inside it (`startPostgres({ netns })` wraps its launch in
 *   `nsenter --net=/proc/<anchor>/ns/net`), on 127.0.0.1 as usual but on the
 *   namespace's loopback, unreachable from the test process except through
 *   their unix sockets;
 * - clients run inside it as processes of a *host* (`netns.host('a')`): each
 *   host has a group id its processes run with, and every connection they
 *   open carries that host's conntrack mark (iptables in the namespace);
 * - `host.partition()` drops every packet the host sends and every packet of
 *   its marked connections, the server's half included; `host.heal()` lets
 *   them through again. Nothing else is touched: the host machine's
 *   interfaces and firewall are not changed.
 *
 * Needs root (entering a namespace takes CAP_SYS_ADMIN, the firewall
 * CAP_NET_ADMIN), `unshare` and `nsenter` (util-linux), `ip` (iproute2) and
 * `iptables` (scripts/setup-servers.sh installs it).
 */
export interface NetworkNamespace extends AsyncDisposable {
  /** The anchor process; the namespace is `/proc/<pid>/ns/net`. */
  readonly pid: number;
  /** `/proc/<pid>/ns/net`, for `nsenter`. */
  readonly path: string;
  /** `spec` run inside the namespace (a server fixture's launch, a readiness probe). Its user, if any, is kept. */
  wrap(spec: LaunchSpec): LaunchSpec;
  /** Runs a short command inside the namespace; resolves with its stdout. */
  run(command: string, args?: readonly string[], input?: string): Promise<string>;
  /** A new host (names are unique): its processes can be partitioned from the rest. */
  host(name: string): Promise<NetnsHost>;
  /** Ends the anchor. Processes still inside keep the namespace alive: dispose them first. */
  dispose(): Promise<void>;
}

/** Group ids of hosts: a range no server account has (Debian's system groups are below 1000, nogroup 65534). */
const FIRST_HOST_GID = 48_100;
const READY_BOUND_MS = 10_000;

type Anchor = ChildProcessByStdio<Writable, Readable, Readable>;

/** Waits for the anchor's "up" line: by then the namespace exists and its loopback is up. */
function anchorReady(anchor: Anchor): Promise<void> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const onStderr = (chunk: string) => {
      stderr += chunk;
    };
    const onStdout = (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('up\n')) settle();
    };
    const onError = (error: Error) => settle(`cannot run unshare (${error.message})`);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      settle(`unshare exited (${signal ?? code}); it needs root`);
    const timer = setTimeout(() => settle(`not up within ${READY_BOUND_MS} ms`), READY_BOUND_MS);
    function settle(failure?: string): void {
      clearTimeout(timer);
      anchor.stdout.off('data', onStdout);
      anchor.stderr.off('data', onStderr);
      anchor.off('error', onError);
      anchor.off('exit', onExit);
      if (failure === undefined) return resolve();
      anchor.kill('SIGKILL');
      reject(new Error(`network namespace: ${failure}${stderr ? `\n${stderr}` : ''}`));
    }
    anchor.stderr.setEncoding('utf8').on('data', onStderr);
    anchor.stdout.setEncoding('utf8').on('data', onStdout);
    anchor.once('error', onError);
    anchor.once('exit', onExit);
  });
}

class Netns implements NetworkNamespace {
  readonly pid: number;
  readonly path: string;
  readonly #anchor: Anchor;
  readonly #exited: Promise<void>;
  readonly #hosts = new Map<string, NetnsHost>();

  constructor(anchor: Anchor, pid: number) {
    this.#anchor = anchor;
    this.pid = pid;
    this.path = `/proc/${pid}/ns/net`;
    this.#exited = new Promise((resolve) => anchor.once('exit', () => resolve()));
  }

  wrap(spec: LaunchSpec): LaunchSpec {
    return enter(this.path, spec);
  }

  run(command: string, args: readonly string[] = [], input?: string): Promise<string> {
    const spec = this.wrap({ command, args });
    return runCommand(spec.command, spec.args, input === undefined ? {} : { input });
  }

  async apply(commands: readonly FirewallCommand[]): Promise<void> {
    for (const { command, args, input } of commands) {
      try {
        await this.run(command, args, input);
      } catch (error) {
        const missing = /ENOENT|not found/.test(String(error)) ? ' (run scripts/setup-servers.sh)' : '';
        throw new Error(`network namespace: ${command} failed${missing}`, { cause: error });
      }
    }
  }

  async host(name: string): Promise<NetnsHost> {
    if (this.#hosts.has(name)) throw new Error(`network namespace: a host named ${name} exists already`);
    const host = new NetnsHost(this, name, FIRST_HOST_GID + this.#hosts.size);
    this.#hosts.set(name, host);
    await this.apply(markHost(host.gid));
    return host;
  }

  async dispose(): Promise<void> {
    this.#anchor.kill('SIGKILL');
    await this.#exited;
    untrackProcessGroup(this.pid);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/** A fresh network namespace with its loopback up and the partition firewall in place. */
export async function startNetns(): Promise<NetworkNamespace> {
  // `cat` reads a pipe that only the test process holds open: EOF, hence exit, when it dies.
  const anchor = spawn('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up && echo up && exec cat'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  await anchorReady(anchor);
  const pid = anchor.pid ?? -1;
  trackProcessGroup(pid);
  anchor.stdout.destroy();
  anchor.stderr.destroy();
  // Neither the anchor nor its pipe may keep the test process alive.
  anchor.unref();
  (anchor.stdin as Writable & { unref?: () => void }).unref?.();
  const netns = new Netns(anchor, pid);
  if (readlinkSync(netns.path) === readlinkSync('/proc/self/ns/net')) {
    await netns.dispose();
    throw new Error('network namespace: the anchor shares the test process namespace');
  }
  try {
    await netns.apply(firewallSetup());
  } catch (error) {
    await netns.dispose();
    throw error;
  }
  return netns;
}
