/**
 * The packet filter of a test network namespace (iptables, both families),
 * which is how a host in it is partitioned: its packets are dropped for real,
 * so neither kernel answers the other (no RST, no ACK, no keepalive reply)
 * and the server's own TCP timeouts run as on a real network.
 *
 * Every packet on loopback leaves through OUTPUT, both the client's and the
 * server's, so two chains hooked there do it all:
 * - `TOOZ_MARK` gives every connection a host opens (matched by the group id
 *   its processes run with) that host's connection mark. The mark lives on
 *   the conntrack entry, so it also names the server's half of the
 *   connection, which no owner match could (the server's socket is not the
 *   host's), and the kernel's own RSTs for a socket the host has closed.
 * - `TOOZ_CUT` drops, for each partitioned host, what its processes send
 *   (new connections too) and every packet of its marked connections.
 *
 * Conntrack entries must outlive the partition, or a server retransmission
 * after the client side closed would find no mark and get through: every
 * TCP conntrack timeout of the namespace is raised to a day.
 */

/** Each family's restore command: a batch of rules is applied atomically (`--noflush`: added to what is there). */
const FAMILIES = ['iptables-restore', 'ip6tables-restore'] as const;

/** One command to run inside the namespace, with what it reads on stdin. */
export interface FirewallCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly input?: string;
}

const CONNTRACK_TCP_TIMEOUTS = [
  'established',
  'syn_sent',
  'syn_recv',
  'fin_wait',
  'close_wait',
  'last_ack',
  'time_wait',
  'close',
  'max_retrans',
  'unacknowledged',
];
const A_DAY = 86_400;

/** The same filter-table rules for both families, each family in one atomic batch. */
function batch(rules: readonly string[]): FirewallCommand[] {
  const input = `*filter\n${rules.join('\n')}\nCOMMIT\n`;
  return FAMILIES.map((command) => ({ command, args: ['-w', '--noflush'], input }));
}

/** Chains and conntrack settings, once per namespace, before any host connects. */
export function firewallSetup(): FirewallCommand[] {
  const sysctls = CONNTRACK_TCP_TIMEOUTS.map(
    (name) => `echo ${A_DAY} > /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_${name}`,
  ).join(' && ');
  return [
    // Marking first: a partitioned host's new connection is marked, then dropped.
    ...batch([':TOOZ_MARK - [0:0]', ':TOOZ_CUT - [0:0]', '-A OUTPUT -j TOOZ_MARK', '-A OUTPUT -j TOOZ_CUT']),
    // Per namespace: the host's own settings are untouched.
    { command: 'sh', args: ['-c', sysctls] },
  ];
}

/** Marks every connection a host's processes open. */
export function markHost(gid: number): FirewallCommand[] {
  return batch([`-A TOOZ_MARK -m owner --gid-owner ${gid} -j CONNMARK --set-mark ${gid}`]);
}

/** What the host sends (new connections too), and every packet of its connections, the server's included. */
const cutRules = (action: '-A' | '-D', gid: number) => [
  `${action} TOOZ_CUT -m owner --gid-owner ${gid} -j DROP`,
  `${action} TOOZ_CUT -m connmark --mark ${gid} -j DROP`,
];

export const cutHost = (gid: number) => batch(cutRules('-A', gid));
export const healHost = (gid: number) => batch(cutRules('-D', gid));
