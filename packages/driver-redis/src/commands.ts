import { LinkedSet } from '@tooz/core/driver';
import type { RedisArg, RedisClient } from './client.js';
import { ReplicationError, toToozError } from './errors.js';
import type { Script } from './scripts.js';

export interface Replication {
  /** Replicas that must acknowledge a hold before it counts (Redis WAIT); 0 = do not wait. */
  readonly replicas: number;
  readonly timeout: number;
}

export interface Replicated {
  readonly reply: unknown[];
  /** Enough replicas acknowledged the write (always true without `waitReplicas`). */
  readonly replicated: boolean;
  readonly replicas: number;
}

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith('NOSCRIPT');

/**
 * Every request the driver sends goes through here: scripts by digest with
 * a fallback to their source, replies and errors mapped, and one guarantee
 * ioredis does not give: a request never outlives its connection. ioredis
 * drops the commands in flight when a socket closes (we turn their resending
 * off: an acquire sent twice could take a lock nobody knows it holds), so
 * `failAll()` rejects them as retryable connection errors.
 */
export class Commands {
  /** Each request's failure, while it waits for its reply (a LinkedSet: every request enters and leaves it). */
  private readonly inFlight = new LinkedSet<(error: unknown) => void>();

  constructor(
    readonly client: RedisClient,
    private readonly replication: Replication,
  ) {
    client.on('close', () => this.failAll());
  }

  private failAll(): void {
    if (this.inFlight.size === 0) return;
    const closed = new Error('Connection closed with the request in flight');
    for (const fail of this.inFlight.clear()) fail(closed);
  }

  script(script: Script, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown[]> {
    return this.runScript(script, keys, args, false);
  }

  /** Whether writes wait for replicas (`waitReplicas`): only then does `replicatedScript` differ from `script`. */
  get replicates(): boolean {
    return this.replication.replicas > 0;
  }

  /** Same, with binary-safe replies. */
  scriptBuffer(script: Script, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown[]> {
    return this.runScript(script, keys, args, true);
  }

  /**
   * A script whose writes establish or extend a hold: with `waitReplicas`,
   * WAIT goes out right behind it (one round trip); `replicated` says
   * whether enough replicas have the write.
   */
  replicatedScript(script: Script, keys: readonly string[], args: readonly RedisArg[]): Promise<Replicated> {
    const { replicas, timeout } = this.replication;
    if (replicas <= 0) return this.script(script, keys, args).then((reply) => ({ reply, replicated: true, replicas }));
    const { client } = this;
    const sent = this.evaluate(script, keys, args);
    const waited = client.wait(replicas, timeout);
    const both = Promise.all([sent.reply, waited]).then(async ([reply, acknowledged]) => {
      // The first WAIT went out before the fallback EVAL's writes.
      const count = sent.fellBack() ? await client.wait(replicas, timeout) : acknowledged;
      return { reply, replicated: count >= replicas, replicas: count };
    });
    return this.track(both, script.name);
  }

  /**
   * Why `write` was not replicated. With `askServer`, the server's count of
   * connected replicas says whether waiting can help (one INFO, on this
   * failure only).
   */
  async notReplicated(write: string, acknowledged: number, askServer: boolean): Promise<ReplicationError> {
    const { replicas, timeout } = this.replication;
    const info = askServer ? await this.track(this.client.info('replication'), 'INFO').catch(() => '') : '';
    const connected = /^connected_slaves:(\d+)/m.exec(info)?.[1];
    return new ReplicationError(write, replicas, acknowledged, timeout, connected ? Number(connected) : undefined);
  }

  mget(keys: readonly string[]): Promise<(string | null)[]> {
    return this.track(this.client.mget(...keys), 'MGET');
  }

  zscore(key: string, member: string): Promise<unknown> {
    return this.track(this.client.zscore(key, member), 'ZSCORE');
  }

  hget(key: string, field: string): Promise<string | null> {
    return this.track(this.client.hget(key, field), 'HGET');
  }

  smembers(key: string): Promise<string[]> {
    return this.track(this.client.smembers(key), 'SMEMBERS');
  }

  /** The server's clock, in ms. */
  time(): Promise<number> {
    return this.track(this.client.time(), 'TIME').then(
      ([seconds, micros]) => Number(seconds) * 1000 + Math.floor(Number(micros) / 1000),
    );
  }

  ping(): Promise<string> {
    return this.track(this.client.ping(), 'PING');
  }

  subscribe(channels: readonly string[]): Promise<unknown> {
    return this.track(this.client.subscribe(...channels), 'SUBSCRIBE');
  }

  unsubscribe(channels: readonly string[]): Promise<unknown> {
    return this.track(this.client.unsubscribe(...channels), 'UNSUBSCRIBE');
  }

  /**
   * `track(evaluate(...).reply)` in one promise: every acquire and release
   * runs a script, and each promise and closure in between was garbage to
   * collect.
   */
  private runScript(
    script: Script,
    keys: readonly string[],
    args: readonly RedisArg[],
    binary: boolean,
  ): Promise<unknown[]> {
    return new Promise<unknown[]>((resolve, reject) => {
      const fail = (error: unknown) => {
        this.inFlight.delete(entry);
        reject(toToozError(error, script.name));
      };
      const entry = this.inFlight.add(fail);
      const settle = (reply: unknown[]) => {
        // Rejected already if the socket closed first: a late reply changes nothing.
        if (this.inFlight.delete(entry)) resolve(reply);
      };
      this.send('evalsha', script.sha, keys, args, binary).then(settle, (error: unknown) => {
        if (!isNoScript(error)) return fail(error);
        this.send('eval', script.source, keys, args, binary).then(settle, fail);
      });
    });
  }

  private send(
    command: 'evalsha' | 'eval',
    body: string,
    keys: readonly string[],
    args: readonly RedisArg[],
    binary: boolean,
  ): Promise<unknown[]> {
    const { client } = this;
    return (
      binary
        ? client.callBuffer(command, body, keys.length, ...keys, ...args)
        : client[command](body, keys.length, ...keys, ...args)
    ) as Promise<unknown[]>;
  }

  /** EVALSHA, and EVAL when the server does not know the script yet (a restart, a new server). */
  private evaluate(script: Script, keys: readonly string[], args: readonly RedisArg[], binary = false) {
    let fellBack = false;
    const reply = this.send('evalsha', script.sha, keys, args, binary).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      fellBack = true;
      return this.send('eval', script.source, keys, args, binary);
    });
    return { reply, fellBack: () => fellBack };
  }

  private track<T>(request: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (error: unknown) => {
        this.inFlight.delete(entry);
        reject(toToozError(error, what));
      };
      const entry = this.inFlight.add(fail);
      request.then((value) => {
        // Rejected already if the socket closed first: a late reply changes nothing.
        if (this.inFlight.delete(entry)) resolve(value);
      }, fail);
    });
  }
}
