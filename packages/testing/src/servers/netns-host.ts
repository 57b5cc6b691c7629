import { cutHost, type FirewallCommand, healHost } from './netns-firewall.js';
import type { LaunchSpec } from './server-process.js';

/** What a host needs of its namespace. */
export interface NamespaceAccess {
  /** `/proc/<pid>/ns/net` of the namespace's anchor process. */
  readonly path: string;
  /** Runs firewall commands inside the namespace, in order. */
  apply(commands: readonly FirewallCommand[]): Promise<void>;
}

/**
 * Runs a command inside a network namespace with `nsenter` (which needs
 * root to enter it, so the identity to run as is dropped by nsenter itself,
 * after entering: `--setgid`/`--setuid`, which also clears supplementary
 * groups).
 */
export function enter(path: string, spec: LaunchSpec, identity: { uid?: number; gid?: number } = {}): LaunchSpec {
  const gid = identity.gid ?? spec.user?.gid;
  const uid = identity.uid ?? spec.user?.uid;
  return {
    command: 'nsenter',
    args: [
      `--net=${path}`,
      ...(gid === undefined ? [] : ['--setgid', String(gid)]),
      ...(uid === undefined ? [] : ['--setuid', String(uid)]),
      '--',
      spec.command,
      ...spec.args,
    ],
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    ...(spec.env === undefined ? {} : { env: spec.env }),
  };
}

/**
 * One simulated machine inside a test network namespace: the processes
 * started through `wrap` run with the host's own group id, which is how the
 * firewall tells their connections from everyone else's (see
 * netns-firewall.ts). `partition()` cuts the host off from every other
 * process of the namespace, both ways, new connections included, until
 * `heal()`.
 */
export class NetnsHost {
  #partitioned = false;

  constructor(
    private readonly namespace: NamespaceAccess,
    /** Its name, unique in the namespace. */
    readonly name: string,
    /** The group id its processes run with; also its connections' conntrack mark. */
    readonly gid: number,
  ) {}

  /** Whether it is cut off (between `partition()` and `heal()`). */
  get partitioned(): boolean {
    return this.#partitioned;
  }

  /** `spec` run inside the namespace as this host (its uid, if any, is kept; the group is the host's). */
  wrap(spec: LaunchSpec): LaunchSpec {
    return enter(this.namespace.path, spec, {
      gid: this.gid,
      ...(spec.user ? { uid: spec.user.uid } : {}),
    });
  }

  /** Drops every packet to or from this host from now on; resolves once the rules are in place. */
  async partition(): Promise<void> {
    if (this.#partitioned) return;
    await this.namespace.apply(cutHost(this.gid));
    this.#partitioned = true;
  }

  /** Lets its packets through again; what TCP retransmits then arrives. */
  async heal(): Promise<void> {
    if (!this.#partitioned) return;
    await this.namespace.apply(healHost(this.gid));
    this.#partitioned = false;
  }
}
