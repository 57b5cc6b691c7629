import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConsulHttpError, type ConsulState, type KvEntry, type SessionRecord } from './state.js';

/** What the HTTP layer needs to know about the server it answers for. */
export interface ApiConfig {
  readonly datacenter: string;
  readonly nodeName: string;
  readonly nodeId: string;
  readonly port: number;
  /** Tokens with every right; undefined: ACLs off. */
  readonly tokens: ReadonlySet<string> | undefined;
  /** Consul's `session_ttl_min` (default 10 s), in ms. */
  readonly sessionTtlMin: number;
}

const MAX_VALUE = 512 * 1024;
const MAX_LOCK_DELAY_MS = 60_000;
const SESSION_TTL_MAX_MS = 86_400_000;
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in ms; undefined when malformed. */
export function goDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((ms, p) => ms + Number(p[1]) * (UNITS[p[2] as string] as number), 0);
}

/** Formats ms as Go prints a duration for the TTLs Consul reports ("15s", "1m30s"). */
function goFormat(ms: number): string {
  if (ms % 1000 !== 0) return `${ms / 1000}s`;
  const s = ms / 1000;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m}m0s` : `${m}m${s % 60}s`;
}

export interface Reply {
  readonly status: number;
  readonly body: unknown;
  /** X-Consul-Index, on endpoints that support blocking. */
  readonly index?: number;
  /** `?raw`: the value's bytes as text/plain. */
  readonly raw?: Buffer;
}

export interface ParsedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: Buffer;
  readonly token: string | undefined;
}

const json = (status: number, body: unknown, index?: number): Reply => ({ status, body, index });

function uint(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  if (!/^\d+$/.test(text)) throw new ConsulHttpError(400, `Invalid ${name} value: "${text}"`);
  return Number(text);
}

const renderKv = (e: KvEntry) => ({
  Key: e.Key,
  CreateIndex: e.CreateIndex,
  ModifyIndex: e.ModifyIndex,
  LockIndex: e.LockIndex,
  Flags: Number(e.Flags),
  Value: e.Value ? e.Value.toString('base64') : null,
  ...(e.Session ? { Session: e.Session } : {}),
});

const renderSession = (s: SessionRecord) => ({
  ID: s.ID,
  Name: s.Name,
  Node: s.Node,
  LockDelay: s.LockDelay,
  Behavior: s.Behavior,
  TTL: s.TTL,
  NodeChecks: s.NodeChecks,
  ServiceChecks: null,
  CreateIndex: s.CreateIndex,
  ModifyIndex: s.ModifyIndex,
});

/**
 * ACLs (https://developer.hashicorp.com/consul/api-docs/api-structure#authentication):
 * the token comes in X-Consul-Token, an `Authorization: Bearer` header or
 * `?token=`; without one the anonymous token applies, which here may do
 * nothing; an unknown token is "ACL not found". Status endpoints need none.
 */
export function tokenOf(request: IncomingMessage, query: URLSearchParams): string | undefined {
  const header = request.headers['x-consul-token'];
  if (typeof header === 'string' && header !== '') return header;
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  if (bearer) return bearer[1];
  return query.get('token') ?? undefined;
}

function authorize(config: ApiConfig, request: ParsedRequest): void {
  if (!config.tokens || request.path.startsWith('/v1/status/')) return;
  if (request.token === undefined) throw new ConsulHttpError(403, 'Permission denied');
  if (!config.tokens.has(request.token)) throw new ConsulHttpError(403, 'ACL not found');
}

/**
 * One request against the state: the reply, or `blocking` when the request
 * is a blocking query whose index has not moved yet (the caller waits for a
 * change, then asks again). Blocking queries:
 * https://developer.hashicorp.com/consul/api-docs/features/blocking
 */
export function answer(state: ConsulState, config: ApiConfig, request: ParsedRequest): Reply {
  authorize(config, request);
  const dc = request.query.get('dc');
  if (dc !== null && dc !== '' && dc !== config.datacenter) throw new ConsulHttpError(500, 'No path to datacenter');
  const { method, path } = request;
  if (path === '/v1/status/leader') return only(method, 'GET', () => json(200, `127.0.0.1:8300`));
  if (path === '/v1/status/peers') return only(method, 'GET', () => json(200, ['127.0.0.1:8300']));
  if (path === '/v1/agent/self') return only(method, 'GET', () => json(200, agentSelf(config)));
  if (path.startsWith('/v1/kv/') || path === '/v1/kv') return kv(state, request, decodeURIComponent(path.slice(7)));
  const session = /^\/v1\/session\/(create|destroy|renew|info|list)(?:\/(.*))?$/.exec(path);
  if (session) return sessions(state, config, request, session[1] as string, session[2] ?? '');
  throw new ConsulHttpError(404, `Not found: ${path}`);
}

function only(method: string, allowed: string, reply: () => Reply): Reply {
  if (method !== allowed) throw new ConsulHttpError(405, `method ${method} not allowed`);
  return reply();
}

function agentSelf(config: ApiConfig) {
  return {
    Config: {
      Datacenter: config.datacenter,
      NodeName: config.nodeName,
      NodeID: config.nodeId,
      Server: true,
      Version: '1.19.0-tooz-test',
      Revision: 'tooz-testing',
    },
    Member: { Name: config.nodeName, Addr: '127.0.0.1', Port: 8301, Status: 1 },
  };
}

function kv(state: ConsulState, request: ParsedRequest, key: string): Reply {
  const { query, method } = request;
  if (method === 'GET') {
    if (query.has('keys')) {
      const separator = query.get('separator') ?? '';
      const keys = new Set<string>();
      for (const { Key } of state.list(key)) {
        const at = separator ? Key.indexOf(separator, key.length) : -1;
        keys.add(at === -1 ? Key : Key.slice(0, at + separator.length));
      }
      const index = state.listIndex(key);
      return keys.size === 0 ? json(404, null, index) : json(200, [...keys], index);
    }
    if (query.has('recurse')) {
      const entries = state.list(key);
      const index = state.listIndex(key);
      return entries.length === 0 ? json(404, null, index) : json(200, entries.map(renderKv), index);
    }
    const entry = state.get(key);
    if (!entry) return json(404, null, state.kvIndex || 1);
    if (query.has('raw'))
      return { status: 200, body: null, raw: entry.Value ?? Buffer.alloc(0), index: entry.ModifyIndex };
    return json(200, [renderKv(entry)], entry.ModifyIndex);
  }
  if (key === '') throw new ConsulHttpError(400, 'Missing key name');
  if (method === 'PUT') {
    if (request.body.length > MAX_VALUE) {
      throw new ConsulHttpError(
        413,
        `Request body(${request.body.length} bytes) too large, max size: ${MAX_VALUE} bytes.`,
      );
    }
    const flags = query.get('flags') ?? '0';
    if (!/^\d+$/.test(flags) || BigInt(flags) >= 2n ** 64n) throw new ConsulHttpError(400, 'Invalid flags value');
    const value = request.body;
    const cas = uint(query, 'cas');
    // As in Consul's handler, `cas` overrides `acquire`/`release` when several are given.
    if (cas !== undefined) return json(200, state.put(key, value, flags, cas));
    const acquire = query.get('acquire');
    if (acquire !== null) return json(200, state.acquire(key, value, flags, acquire));
    const release = query.get('release');
    if (release !== null) return json(200, state.release(key, value, flags, release));
    return json(200, state.put(key, value, flags));
  }
  if (method === 'DELETE') return json(200, state.delete(key, query.has('recurse'), uint(query, 'cas')));
  throw new ConsulHttpError(405, `method ${method} not allowed`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function sessions(state: ConsulState, config: ApiConfig, request: ParsedRequest, verb: string, id: string): Reply {
  const { method } = request;
  const needId = () => {
    if (!UUID.test(id)) throw new ConsulHttpError(400, `Session ID must be a UUID, got "${id}"`);
  };
  switch (verb) {
    case 'create':
      return only(method, 'PUT', () => json(200, { ID: createSession(state, config, request.body).ID }));
    case 'destroy':
      return only(method, 'PUT', () => {
        needId();
        state.invalidate(id);
        return json(200, true);
      });
    case 'renew':
      return only(method, 'PUT', () => {
        needId();
        const session = state.renewSession(id);
        if (!session) throw new ConsulHttpError(404, `Session id '${id}' not found`);
        return json(200, [renderSession(session)]);
      });
    case 'info':
      return only(method, 'GET', () => {
        needId();
        const session = state.sessions.get(id);
        return json(200, session ? [renderSession(session)] : [], state.sessionsIndex);
      });
    default:
      return only(method, 'GET', () => json(200, [...state.sessions.values()].map(renderSession), state.sessionsIndex));
  }
}

const SESSION_FIELDS = ['Name', 'Node', 'Behavior', 'LockDelay', 'TTL', 'Checks', 'NodeChecks'];

/**
 * Go's encoding/json, which Consul decodes bodies with, matches a JSON key
 * to a struct field case-insensitively (an exact match first): python-consul
 * sends `{"name": .., "ttl": "15s"}` and Consul honours it.
 */
function goFieldNames(fields: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fields };
  for (const name of names) {
    if (name in fields) continue;
    const key = Object.keys(fields).find((given) => given.toLowerCase() === name.toLowerCase());
    if (key !== undefined) out[name] = fields[key];
  }
  return out;
}

function createSession(state: ConsulState, config: ApiConfig, body: Buffer): SessionRecord {
  let fields: Record<string, unknown> = {};
  if (body.length > 0) {
    try {
      fields = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new ConsulHttpError(400, 'Request decode failed: invalid JSON');
    }
  }
  fields = goFieldNames(fields, SESSION_FIELDS);
  const node = typeof fields.Node === 'string' && fields.Node !== '' ? fields.Node : config.nodeName;
  if (node !== config.nodeName) throw new ConsulHttpError(500, `Missing node registration`);
  const behavior = fields.Behavior ?? 'release';
  if (behavior !== 'release' && behavior !== 'delete') {
    throw new ConsulHttpError(500, `Invalid Behavior setting '${String(behavior)}'`);
  }
  const checks = (fields.NodeChecks ?? fields.Checks ?? ['serfHealth']) as unknown;
  if (!Array.isArray(checks)) throw new ConsulHttpError(400, 'Request decode failed: Checks must be a list');
  for (const check of checks) {
    if (check !== 'serfHealth') throw new ConsulHttpError(500, `Missing check '${String(check)}' registration`);
  }
  // LockDelay: a Go duration string, or a number (seconds below 1000, nanoseconds above), default 15 s.
  let lockDelayMs = 15_000;
  const delay = fields.LockDelay;
  if (typeof delay === 'number') lockDelayMs = delay < 1000 ? delay * 1000 : delay / 1e6;
  else if (typeof delay === 'string') {
    const parsed = goDuration(delay);
    if (parsed === undefined) throw new ConsulHttpError(400, `Request decode failed: invalid LockDelay "${delay}"`);
    lockDelayMs = parsed;
  }
  if (lockDelayMs < 0 || lockDelayMs > MAX_LOCK_DELAY_MS) {
    throw new ConsulHttpError(500, 'Session lock delay must be between 0 and 60 seconds');
  }
  let ttlMs = 0;
  if (typeof fields.TTL === 'string' && fields.TTL !== '') {
    const parsed = goDuration(fields.TTL);
    if (parsed === undefined) throw new ConsulHttpError(500, `Session TTL '${fields.TTL}' invalid`);
    if (parsed !== 0 && (parsed < config.sessionTtlMin || parsed > SESSION_TTL_MAX_MS)) {
      throw new ConsulHttpError(
        500,
        `Invalid Session TTL '${fields.TTL}', must be between [${goFormat(config.sessionTtlMin)}=24h0m0s]`,
      );
    }
    ttlMs = parsed;
  }
  return state.createSession({
    Name: typeof fields.Name === 'string' ? fields.Name : '',
    Node: node,
    LockDelay: Math.round(lockDelayMs * 1e6),
    Behavior: behavior,
    TTL: ttlMs > 0 ? goFormat(ttlMs) : '',
    ttlMs,
    NodeChecks: checks as string[],
  });
}

/** `?index=N&wait=D`: the index to wait past (0: none) and the longest wait in ms (Consul: default 5 min, at most 10). */
export function blockingParams(query: URLSearchParams): { index: number; waitMs: number } {
  const index = uint(query, 'index') ?? 0;
  const wait = query.get('wait');
  let waitMs = 5 * 60_000;
  if (wait !== null) {
    const parsed = goDuration(wait);
    if (parsed === undefined) throw new ConsulHttpError(400, `Invalid wait time "${wait}"`);
    waitMs = Math.min(parsed, 10 * 60_000);
  }
  return { index, waitMs };
}

export function send(response: ServerResponse, reply: Reply, aclDefault: 'allow' | 'deny'): void {
  const headers: Record<string, string> = {
    'X-Consul-Default-Acl-Policy': aclDefault,
    'X-Consul-Knownleader': 'true',
    'X-Consul-Lastcontact': '0',
  };
  if (reply.index !== undefined) headers['X-Consul-Index'] = String(Math.max(1, reply.index));
  if (reply.raw) {
    response.writeHead(reply.status, { ...headers, 'Content-Type': 'text/plain' }).end(reply.raw);
    return;
  }
  response.writeHead(reply.status, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify(reply.body));
}

export function sendError(response: ServerResponse, error: unknown, aclDefault: 'allow' | 'deny'): void {
  const status = error instanceof ConsulHttpError ? error.status : 500;
  const message = error instanceof Error ? error.message : String(error);
  response
    .writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Consul-Default-Acl-Policy': aclDefault })
    .end(message);
}
