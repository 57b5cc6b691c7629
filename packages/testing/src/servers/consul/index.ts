import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import type { SchedulerLike } from 'rxjs';
import { allocate } from '../allocation.js';
import { generateCerts } from '../certs.js';
import type { CertPaths } from '../types.js';
import { answer, type ApiConfig, blockingParams, goDuration, send, sendError, tokenOf } from './http-api.js';
import { ConsulState, type KvEntry, type SessionRecord } from './state.js';

/** Options of `startConsul`. */
export interface ConsulOptions {
  /** ACLs on, default policy deny: only these tokens may do anything (each has every right). */
  readonly aclTokens?: readonly string[];
  /** Serve HTTPS with certificates from a throwaway CA (`certs`). */
  readonly tls?: boolean;
  /** Consul's `session_ttl_min`: shortest session TTL accepted (default '10s'; tests use less). */
  readonly sessionTtlMin?: string;
  /**
   * How many TTLs after its last renew a session is invalidated. Consul
   * multiplies by 2; 1 is the strict reading of the contract (TTL is a lower
   * bound), so a driver cannot lean on the slack.
   */
  readonly ttlMultiplier?: number;
  /** The datacenter name it reports (default `dc1`). */
  readonly datacenter?: string;
  /** Clock of TTLs and lock delays (default asyncScheduler). */
  readonly scheduler?: SchedulerLike;
}

/**
 * A Consul-API-compatible server on a free loopback port, for tests: no
 * Consul can be installed on these machines. It answers the endpoints the
 * tooz driver uses, as Consul documents them (see the package README for
 * what it leaves out: Raft, several servers, datacenters, policies).
 */
export interface ConsulServer extends AsyncDisposable {
  /** Always 127.0.0.1. */
  readonly host: string;
  /** The HTTP(S) port; kept across restarts. */
  readonly port: number;
  /** `consul://127.0.0.1:port` (`consul+https://` with TLS). */
  readonly url: string;
  /** `http(s)://127.0.0.1:port`, as CONSUL_HTTP_ADDR spells it. */
  readonly address: string;
  /** The PEM files, with `tls`. */
  readonly certs: CertPaths | undefined;
  /** True between start and stop. */
  readonly running: boolean;
  /** Sessions alive now. */
  sessions(): SessionRecord[];
  /** One KV entry as stored, for assertions. */
  entry(key: string): KvEntry | undefined;
  /** Invalidates a session as `PUT /v1/session/destroy` would. */
  destroySession(id: string): boolean;
  /** Drops the graveyard, so a prefix read's index can go backwards as on a real Consul. */
  reapTombstones(): void;
  /** Closes every connection and stops listening. */
  stop(): Promise<void>;
  /** Listens again on the same port; `keepState: false` starts empty, indexes from the beginning. */
  start(options?: { keepState?: boolean }): Promise<void>;
  /** stop() then start(): with the Raft log (`keepState`, TTL timers restarted as on a leader election) or without. */
  restart(options: { keepState: boolean }): Promise<void>;
  /** Stops it for good and frees its port (what `await using` calls). */
  close(): Promise<void>;
}

/** Starts the Consul-compatible test server on a free loopback port. */
export async function startConsul(options: ConsulOptions = {}): Promise<ConsulServer> {
  const { dir, host, port, guard, release } = await allocate('consul');
  const certs = options.tls ? await guard(() => generateCerts(join(dir, 'certs'))) : undefined;
  const tlsMaterial = certs
    ? await guard(async () => ({ cert: await readFile(certs.serverCert), key: await readFile(certs.serverKey) }))
    : undefined;
  const ttlMin = goDuration(options.sessionTtlMin ?? '10s');
  if (ttlMin === undefined) throw new Error(`sessionTtlMin "${options.sessionTtlMin}" is not a duration`);
  const config: ApiConfig = {
    datacenter: options.datacenter ?? 'dc1',
    nodeName: 'tooz-consul-test',
    nodeId: randomUUID(),
    port,
    tokens: options.aclTokens ? new Set(options.aclTokens) : undefined,
    sessionTtlMin: ttlMin,
  };
  const aclDefault = config.tokens ? 'deny' : 'allow';
  const newState = () => new ConsulState({ scheduler: options.scheduler, ttlMultiplier: options.ttlMultiplier });
  let state = newState();
  let server: Server | undefined;

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = request.url ?? '/';
      const at = raw.indexOf('?');
      const parsed = {
        method: request.method ?? 'GET',
        path: at === -1 ? raw : raw.slice(0, at),
        query: new URLSearchParams(at === -1 ? '' : raw.slice(at + 1)),
        body: Buffer.concat(chunks),
        token: undefined as string | undefined,
      };
      parsed.token = tokenOf(request, parsed.query);
      const current = state;
      try {
        const reply = answer(current, config, parsed);
        const blocking = parsed.method === 'GET' ? blockingParams(parsed.query) : { index: 0, waitMs: 0 };
        if (reply.index === undefined || blocking.index === 0 || reply.index > blocking.index) {
          return send(response, reply, aclDefault);
        }
        // Blocks until the answer's index passes the one given, or the wait (plus up to wait/16) runs out.
        const waitMs = blocking.waitMs + Math.random() * (blocking.waitMs / 16);
        let finished = false;
        const finish = () => {
          if (finished) return;
          finished = true;
          stopListening();
          timer.unsubscribe();
          try {
            send(response, answer(current, config, parsed), aclDefault);
          } catch (error) {
            sendError(response, error, aclDefault);
          }
        };
        const stopListening = current.onChange(() => {
          try {
            const again = answer(current, config, parsed);
            if (again.index !== undefined && again.index > blocking.index) finish();
          } catch {
            finish();
          }
        });
        const timer = current.scheduler.schedule(finish, waitMs);
        response.on('close', () => {
          finished = true;
          stopListening();
          timer.unsubscribe();
        });
      } catch (error) {
        sendError(response, error, aclDefault);
      }
    });
  };

  const listen = async () => {
    const created = tlsMaterial ? createHttpsServer(tlsMaterial, handle) : createHttpServer(handle);
    created.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      created.once('error', reject);
      created.listen({ host, port, exclusive: true }, () => {
        created.off('error', reject);
        resolve();
      });
    });
    server = created;
  };

  const stop = async () => {
    const current = server;
    if (!current) return;
    server = undefined;
    state.stopTimers();
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    current.closeAllConnections();
    await closed;
  };

  const start = async ({ keepState = true }: { keepState?: boolean } = {}) => {
    if (server) return;
    if (!keepState) state = newState();
    state.rearmAll();
    await listen();
  };

  await guard(listen);
  const scheme = certs ? 'https' : 'http';
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await stop();
    await release();
  };
  return {
    host,
    port,
    url: `${certs ? 'consul+https' : 'consul'}://${host}:${port}`,
    address: `${scheme}://${host}:${port}`,
    certs,
    get running() {
      return server !== undefined;
    },
    sessions: () => [...state.sessions.values()],
    entry: (key) => state.get(key),
    destroySession: (id) => state.invalidate(id),
    reapTombstones: () => state.reapTombstones(),
    stop,
    start,
    restart: async ({ keepState }) => {
      await stop();
      await start({ keepState });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

export type { KvEntry, SessionRecord } from './state.js';
