import { httpJson } from './probes/http.js';
import type { ProbeTarget } from './probes/socket.js';

/**
 * The few etcd v3 calls the fixtures need, through etcd's JSON gateway
 * (bytes fields are base64 there), so no gRPC client is required.
 */
export interface EtcdCredentials {
  readonly user: string;
  readonly password: string;
}

async function call(
  target: ProbeTarget,
  path: string,
  body: unknown,
  token?: string,
): Promise<Record<string, unknown>> {
  const result = await httpJson(target, 'POST', path, body, token ? { authorization: token } : {});
  if (result.status !== 200) throw new Error(`etcd ${path}: HTTP ${result.status} ${result.body}`);
  return JSON.parse(result.body) as Record<string, unknown>;
}

/** True when the member answers /health with a leader elected. */
export async function etcdHealthy(target: ProbeTarget): Promise<boolean> {
  const result = await httpJson(target, 'GET', '/health');
  return result.status === 200 && (JSON.parse(result.body) as { health?: unknown }).health === 'true';
}

async function authenticate(
  target: ProbeTarget,
  credentials: EtcdCredentials | undefined,
): Promise<string | undefined> {
  if (!credentials) return undefined;
  const answer = await call(target, '/v3/auth/authenticate', {
    name: credentials.user,
    password: credentials.password,
  });
  return typeof answer.token === 'string' ? answer.token : undefined;
}

/** This member's ID and the ID of the member it believes leads (decimal strings: they are uint64). */
export async function etcdStatus(
  target: ProbeTarget,
  credentials?: EtcdCredentials,
): Promise<{ memberId: string; leaderId: string }> {
  const token = await authenticate(target, credentials);
  const status = await call(target, '/v3/maintenance/status', {}, token);
  const header = status.header as { member_id?: unknown } | undefined;
  return { memberId: String(header?.member_id ?? ''), leaderId: String(status.leader ?? '') };
}

const ALL_KEYS = Buffer.from([0]).toString('base64');

/**
 * Creates root (etcd insists on it before auth can be enabled) and, when the
 * requested user is someone else, that user with read-write on every key;
 * then turns authentication on.
 */
export async function etcdEnableAuth(target: ProbeTarget, credentials: EtcdCredentials): Promise<void> {
  await call(target, '/v3/auth/user/add', { name: 'root', password: credentials.password });
  await call(target, '/v3/auth/role/add', { name: 'root' });
  await call(target, '/v3/auth/user/grant', { user: 'root', role: 'root' });
  if (credentials.user !== 'root') {
    await call(target, '/v3/auth/user/add', { name: credentials.user, password: credentials.password });
    await call(target, '/v3/auth/role/add', { name: credentials.user });
    await call(target, '/v3/auth/role/grant', {
      name: credentials.user,
      perm: { permType: 'READWRITE', key: ALL_KEYS, range_end: ALL_KEYS },
    });
    await call(target, '/v3/auth/user/grant', { user: credentials.user, role: credentials.user });
  }
  await call(target, '/v3/auth/enable', {});
}
