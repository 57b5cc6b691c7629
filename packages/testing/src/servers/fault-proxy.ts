import { connect, createServer, type Server, type Socket } from 'node:net';

/** Where a fault proxy forwards to and listens on. */
export interface FaultProxyOptions {
  /** Where connections are forwarded to (usually a fixture's host and port). */
  readonly target: {
    /** Target host. */
    readonly host: string;
    /** Target port. */
    readonly port: number;
  };
  /** Listening address (default 127.0.0.1). */
  readonly host?: string;
  /** Listening port (default: any free one). */
  readonly port?: number;
}

/**
 * A TCP proxy between a client and a server on loopback, that a test can
 * turn against the client: hold every byte (a paused network), add latency,
 * or reset every connection (a partition seen as RST). The host's network
 * is never touched.
 */
export interface FaultProxy extends AsyncDisposable {
  /** The address the proxy listens on. */
  readonly host: string;
  /** The port the proxy listens on. */
  readonly port: number;
  /** `host:port`, for URLs and connection strings. */
  readonly address: string;
  /** Where connections are forwarded to. */
  readonly target: {
    /** Target host. */
    readonly host: string;
    /** Target port. */
    readonly port: number;
  };
  /** Client connections currently open through the proxy. */
  readonly connections: number;
  /** Whether traffic is held (between `suspend()` and `resume()`). */
  readonly suspended: boolean;
  /** `url` with the target's `host:port` replaced by the proxy's, e.g. `proxy.via(redis.url)`. */
  via(url: string): string;
  /** Holds traffic both ways; connections stay open, new ones are accepted and held too. */
  suspend(): void;
  /** Delivers what was held, in order, and lets traffic flow again. */
  resume(): void;
  /** Resets (RST) every open connection, both sides. New connections are accepted as before. */
  cut(): void;
  /** Delays every chunk by `ms` each way from now on (0 to stop); order is kept. */
  latency(ms: number): void;
  /** Closes the listener and every connection through it. */
  close(): Promise<void>;
}

interface Held {
  readonly chunk: Buffer;
  readonly due: number;
}

/** One direction of one connection: a queue that honours suspension and latency. */
class Flow {
  readonly #queue: Held[] = [];
  #timer: NodeJS.Timeout | undefined;
  #ended = false;

  constructor(
    readonly from: Socket,
    readonly to: Socket,
    readonly state: { suspended: boolean; latencyMs: number },
  ) {
    from.on('data', (chunk: Buffer) => {
      this.#queue.push({ chunk, due: Date.now() + state.latencyMs });
      this.pump();
    });
    from.on('end', () => {
      this.#ended = true;
      this.pump();
    });
  }

  pump(): void {
    if (this.#timer) return;
    if (this.state.suspended) {
      // Stop reading too, so the sender's TCP window fills as on a dead link.
      this.from.pause();
      return;
    }
    this.from.resume();
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as Held;
      const wait = head.due - Date.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.#queue.shift();
      if (!this.to.destroyed) this.to.write(head.chunk);
    }
    if (this.#ended && !this.to.destroyed) this.to.end();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
  }
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly flows: readonly Flow[];
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Starts a fault proxy to `options.target`; resolves once it listens. Traffic flows until told otherwise. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const host = options.host ?? '127.0.0.1';
  const target = { host: options.target.host, port: options.target.port };
  const state = { suspended: false, latencyMs: 0 };
  const pairs = new Set<Pair>();

  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    const flows = [new Flow(client, upstream, state), new Flow(upstream, client, state)];
    const pair: Pair = { client, upstream, flows };
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // A reset on one side is passed on as a reset; anything else closes the other side.
    const relay = (other: Socket) => (error?: Error) => {
      if ((error as NodeJS.ErrnoException | undefined)?.code === 'ECONNRESET') other.resetAndDestroy();
      else other.destroy();
    };
    client.on('error', relay(upstream));
    upstream.on('error', relay(client));
    const forget = () => {
      if (client.destroyed && upstream.destroyed) {
        for (const flow of flows) flow.stop();
        pairs.delete(pair);
      }
    };
    client.on('close', () => {
      if (!upstream.destroyed && upstream.writableEnded) upstream.destroy();
      forget();
    });
    upstream.on('close', () => {
      if (!client.destroyed && client.writableEnded) client.destroy();
      forget();
    });
    upstream.once('connect', () => {
      for (const flow of flows) flow.pump();
    });
  });
  const port = await listen(server, options.port ?? 0, host);

  const cut = () => {
    for (const pair of pairs) {
      for (const flow of pair.flows) flow.stop();
      pair.client.resetAndDestroy();
      pair.upstream.resetAndDestroy();
    }
    pairs.clear();
  };
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      cut();
    });
    return closed;
  };

  return {
    host,
    port,
    address: `${host}:${port}`,
    target,
    get connections() {
      return pairs.size;
    },
    get suspended() {
      return state.suspended;
    },
    via: (url) => url.split(`${target.host}:${target.port}`).join(`${host}:${port}`),
    suspend: () => {
      state.suspended = true;
      for (const pair of pairs) for (const flow of pair.flows) flow.pump();
    },
    resume: () => {
      state.suspended = false;
      for (const pair of pairs) for (const flow of pair.flows) flow.pump();
    },
    cut,
    latency: (ms) => {
      state.latencyMs = Math.max(0, ms);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
