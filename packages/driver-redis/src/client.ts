import type { Redis } from 'ioredis';

export type RedisArg = string | Buffer | number;

/**
 * The only parts of ioredis the driver uses. Keeping the list short makes
 * what the driver asks of Redis reviewable at a glance (and the client
 * replaceable): scripts, a few reads, pub/sub, WAIT, PING, INFO.
 */
export interface RedisClient {
  /** ioredis' connection status: `ready` when commands can be sent. */
  readonly status: string;
  connect(): Promise<void>;
  /** Closes the socket now; with `reconnect`, opens a new one (a silent link is given up this way). */
  disconnect(reconnect?: boolean): void;
  evalsha(sha: string, numKeys: number, ...args: RedisArg[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: RedisArg[]): Promise<unknown>;
  /** `evalsha` or `eval` with binary-safe replies (capabilities are msgpack bytes). */
  callBuffer(command: 'evalsha' | 'eval', ...args: RedisArg[]): Promise<unknown>;
  mget(...keys: string[]): Promise<(string | null)[]>;
  zscore(key: string, member: string): Promise<unknown>;
  hget(key: string, field: string): Promise<string | null>;
  smembers(key: string): Promise<string[]>;
  time(): Promise<unknown[]>;
  ping(): Promise<string>;
  wait(replicas: number, timeout: number): Promise<number>;
  info(section: string): Promise<string>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: 'messageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown;
  on(event: 'close' | 'ready', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** ioredis' overloads are wider than what the driver calls; this is the narrowing, checked by the compiler. */
export function narrow(client: Redis): RedisClient {
  const narrowed: RedisClient = client;
  return narrowed;
}
