import type { Commands } from './commands.js';

export type Listener = (payload: Buffer) => void;

/**
 * Pub/sub on the session's one connection (RESP3 lets a connection
 * subscribe and still run commands, and keeps pushes and replies in the
 * order the server produced them). A channel is subscribed while someone
 * listens to it. Subscriptions are ours to restore after a reconnect, so
 * that a channel subscribed while the link was down is not forgotten.
 */
export class Channels {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly commands: Commands) {
    commands.client.on('messageBuffer', (channel, message) => {
      const listeners = this.listeners.get(channel.toString('utf8'));
      if (listeners) for (const listener of listeners) listener(message);
    });
  }

  /** Listens until the returned function is called. */
  listen(channel: string, listener: Listener): () => void {
    let listeners = this.listeners.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.listeners.set(channel, listeners);
      // A failure here means the link is down: resubscribeAll() runs on recovery.
      this.commands.subscribe([channel]).catch(() => undefined);
    }
    const set = listeners;
    set.add(listener);
    return () => {
      if (!set.delete(listener) || set.size > 0 || this.listeners.get(channel) !== set) return;
      this.listeners.delete(channel);
      this.commands.unsubscribe([channel]).catch(() => undefined);
    };
  }

  /** After a reconnect: the new connection subscribes to everything listened to. */
  resubscribeAll(): Promise<unknown> {
    const channels = [...this.listeners.keys()];
    return channels.length === 0 ? Promise.resolve() : this.commands.subscribe(channels);
  }

  clear(): void {
    this.listeners.clear();
  }
}
