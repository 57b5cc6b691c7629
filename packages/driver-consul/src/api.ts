import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { deadlinePromise } from '@tooz/core/driver';
import type { SchedulerLike } from 'rxjs';
import { statusError, toToozError } from './errors.js';
import type { ConsulSettings } from './options.js';

export interface ConsulReply {
  readonly status: number;
  /** X-Consul-Index, where the endpoint sends one. */
  readonly index: number | undefined;
  readonly body: Buffer;
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Default: the request timeout. A blocking query passes its wait plus that. */
  readonly timeout?: number;
  /** Aborts the request (an unsubscribed watch). */
  readonly signal?: AbortSignal;
}

/**
 * Consul's HTTP API over Node's http/https, with keep-alive, the ACL token
 * in a header (never in a URL), a deadline per request on the injected
 * scheduler, and failover: a request that cannot reach an agent moves the
 * next request to the next agent of the list.
 */
export class ConsulApi {
  private readonly agent: HttpAgent;
  private current = 0;

  constructor(
    private readonly settings: ConsulSettings,
    readonly scheduler: SchedulerLike,
  ) {
    const options = { keepAlive: true, maxSockets: Number.POSITIVE_INFINITY };
    this.agent = settings.tls
      ? new HttpsAgent({ ...options, ca: settings.caCert, cert: settings.clientCert, key: settings.clientKey })
      : new HttpAgent(options);
  }

  get requestTimeout(): number {
    return this.settings.requestTimeout;
  }

  /** Any answer Consul gives, whatever its status; rejects (ConnectionError) only when none came. */
  async request(method: string, path: string, what: string, options: RequestOptions = {}): Promise<ConsulReply> {
    const host = this.settings.hosts[this.current % this.settings.hosts.length] ?? this.settings.hosts[0];
    if (!host) throw new Error('no consul host');
    const query = new URLSearchParams(options.query);
    if (this.settings.dc && /^\/v1\/(kv|session)\//.test(path)) query.set('dc', this.settings.dc);
    const text = query.toString();
    const search = text === '' ? '' : `?${text}`;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timeout = options.timeout ?? this.settings.requestTimeout;
    const target = `${path}${search}`;
    // A keep-alive socket the server closed while idle fails the next request before any answer:
    // that request never reached Consul, so it is sent once more on a new socket (Node's documented pattern).
    const sent = this.send(host, method, target, options.body, controller.signal).catch((error: unknown) => {
      if ((error as { reusedSocket?: boolean }).reusedSocket) {
        return this.send(host, method, target, options.body, controller.signal);
      }
      throw error;
    });
    try {
      return await deadlinePromise(sent, timeout, this.scheduler, () => {
        controller.abort();
        return new Error(`no answer within ${Math.round(timeout)} ms`);
      });
    } catch (error) {
      if (!options.signal?.aborted) this.current++;
      throw toToozError(error, what);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  private send(
    host: { host: string; port: number | undefined },
    method: string,
    path: string,
    body: string | Uint8Array | undefined,
    signal: AbortSignal,
  ): Promise<ConsulReply> {
    return new Promise<ConsulReply>((resolve, reject) => {
      const send = this.settings.tls ? httpsRequest : httpRequest;
      const req = send(
        {
          host: host.host,
          port: host.port,
          method,
          path,
          agent: this.agent,
          signal,
          headers: {
            ...(this.settings.token ? { 'X-Consul-Token': this.settings.token } : {}),
            ...(body !== undefined ? { 'Content-Length': Buffer.byteLength(body) } : {}),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const header = response.headers['x-consul-index'];
            const index = header === undefined ? Number.NaN : Number(header);
            resolve({
              status: response.statusCode ?? 0,
              index: Number.isFinite(index) ? index : undefined,
              body: Buffer.concat(chunks),
            });
          });
        },
      );
      req.on('error', (error: Error) => {
        const code = (error as NodeJS.ErrnoException).code;
        const stale = req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE') && !signal.aborted;
        reject(stale ? Object.assign(error, { reusedSocket: true }) : error);
      });
      req.end(body === undefined ? undefined : Buffer.from(body));
    });
  }

  /** A JSON answer with status 200, else the status as a tooz error; 404 gives undefined where `allow404`. */
  async json<T>(method: string, path: string, what: string, options: RequestOptions = {}): Promise<T> {
    const reply = await this.request(method, path, what, options);
    if (reply.status !== 200) throw statusError(reply.status, reply.body.toString('utf8'), what);
    return JSON.parse(reply.body.toString('utf8')) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}
