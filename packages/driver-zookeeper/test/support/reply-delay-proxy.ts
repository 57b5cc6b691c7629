import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy that can delay what the server sends back while requests go
 * through at once, and hold everything (a partition). The shared fault proxy
 * delays both ways; a slow reply path alone is what shows whether a client
 * dates a session renewal from when it sent the request or when the answer came.
 */
export interface ReplyDelayProxy {
  readonly address: string;
  /** Delays each server-to-client chunk by `ms` from now on (order kept). */
  delayReplies(ms: number): void;
  /** Closes every open connection; new ones are accepted as before. */
  cut(): void;
  /** Holds traffic both ways; held bytes are dropped when the proxy closes. */
  suspend(): void;
  close(): Promise<void>;
}

/** One direction: forwards chunks in order, each no earlier than it arrived plus the delay, none while suspended. */
class Lane {
  private readonly queue: { chunk: Buffer; due: number }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly to: Socket,
    private readonly state: { suspended: boolean },
    private readonly delay: () => number,
  ) {}

  push(chunk: Buffer): void {
    this.queue.push({ chunk, due: Date.now() + this.delay() });
    this.pump();
  }

  pump(): void {
    if (this.timer || this.state.suspended) return;
    for (let head = this.queue[0]; head; head = this.queue[0]) {
      const wait = head.due - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.queue.shift();
      if (!this.to.destroyed) this.to.write(head.chunk);
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }
}

export async function startReplyDelayProxy(target: { host: string; port: number }): Promise<ReplyDelayProxy> {
  const state = { suspended: false };
  let replyDelay = 0;
  const sockets = new Set<Socket>();
  const lanes = new Set<Lane>();
  const server: Server = createServer((client) => {
    const upstream = connect(target);
    const up = new Lane(upstream, state, () => 0);
    const down = new Lane(client, state, () => replyDelay);
    for (const lane of [up, down]) lanes.add(lane);
    for (const socket of [client, upstream]) sockets.add(socket);
    client.on('data', (chunk: Buffer) => up.push(chunk));
    upstream.on('data', (chunk: Buffer) => down.push(chunk));
    const end = () => {
      up.stop();
      down.stop();
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    delayReplies: (ms) => {
      replyDelay = ms;
    },
    cut: () => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    suspend: () => {
      state.suspended = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const lane of lanes) lane.stop();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
