import type { DriverDiagnosis } from '@tooz/core/driver';

/** The two commands `doctor` needs; ioredis' client has them. */
export interface DiagnosableRedis {
  info(section: string): Promise<string>;
  time(): Promise<unknown[]>;
}

/** `INFO` answers `key:value` lines under `# Section` headers. */
function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/**
 * Which of the driver's keys a `maxmemory-policy` lets Redis evict once
 * memory reaches `maxmemory`. Every lock, leader seat, fencing counter and
 * member beat is written with a TTL (PX), so the `volatile-*` policies,
 * which evict only keys that have one, pick exactly those; `allkeys-*`
 * evict anything, group records included. Only `noeviction` evicts nothing
 * (writes then fail with OOM: acquires and refreshes fail, and holds end
 * at their deadline, told). An evicted lock is found missing at the
 * holder's next refresh, within a quarter of its TTL, and another member
 * may take it meanwhile: only the fencing token protects the resource then.
 */
export function evictionWarning(policy: string, maxmemory: number): string | undefined {
  if (policy === 'noeviction' || policy === '') return undefined;
  const what = policy.startsWith('volatile-')
    ? 'keys that have a TTL, which every lock, leader seat, fencing counter and member beat of this driver has'
    : 'any key: locks, leader seats, fencing counters, member beats and group records alike';
  const when =
    maxmemory > 0
      ? `once memory reaches maxmemory (${maxmemory} bytes)`
      : 'as soon as a maxmemory is set (it is 0, no limit, for now)';
  return (
    `maxmemory-policy is ${policy}: Redis evicts ${what}, ${when}. A holder learns that its lock was evicted ` +
    'only at its next refresh (within a quarter of the TTL), and another member may take it meanwhile. ' +
    'Set maxmemory-policy noeviction on a Redis used for coordination.'
  );
}

/**
 * What `tooz doctor` shows for Redis: version, mode, role, persistence,
 * eviction policy and the server's clock offset, with a warning for each
 * setting that puts held locks at risk. A user without the right to run
 * INFO (an ACL) gets a warning saying what could not be checked.
 */
export async function diagnoseRedis(redis: DiagnosableRedis): Promise<DriverDiagnosis> {
  const server: Record<string, string | number | boolean> = {};
  const warnings: string[] = [];
  try {
    const info = parseInfo(
      [await redis.info('server'), await redis.info('memory'), await redis.info('replication')].join('\n'),
    );
    const get = (key: string) => info.get(key) ?? '';
    Object.assign(server, {
      version: get('redis_version'),
      mode: get('redis_mode'),
      role: get('role'),
      maxmemory: Number(get('maxmemory')) || 0,
      maxmemoryPolicy: get('maxmemory_policy'),
    });
    const eviction = evictionWarning(get('maxmemory_policy'), Number(get('maxmemory')) || 0);
    if (eviction) warnings.push(eviction);
    if (get('role') === 'slave') {
      warnings.push('connected to a replica: every acquire, refresh and join is refused (READONLY); use the primary');
    }
    if (get('redis_mode') === 'cluster') {
      warnings.push(
        'Redis Cluster is not supported: the scripts of the driver touch keys that Cluster may place in different slots',
      );
    }
  } catch (error) {
    warnings.push(`INFO could not be read (${(error as Error).message}): eviction policy and role not checked`);
  }
  try {
    // Wall clocks on purpose: the offset between the two clocks is what is measured, not a deadline.
    const sent = Date.now();
    const [seconds, micros] = await redis.time();
    const received = Date.now();
    const serverMs = Number(seconds) * 1000 + Number(micros) / 1000;
    server['clockOffsetMs'] = Math.round(serverMs - (sent + received) / 2);
    server['clockOffsetUncertaintyMs'] = Math.ceil((received - sent) / 2);
  } catch {
    // TIME refused (an ACL): the offset is simply not reported.
  }
  return { server, warnings };
}
