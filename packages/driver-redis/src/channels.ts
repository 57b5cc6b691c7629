import { Observable } from 'rxjs';
import type { Commands } from './commands.js';

/**
 * Pub/sub on the session's one connection (RESP3 lets a connection
 * subscribe and still run commands, and keeps pushes and replies in the
 * order the server produced them). A channel is subscribed while its
 * stream is; each channel has one stream at a time, which callers share
 * (`SharedWatches`). Subscriptions are ours to restore after a reconnect,
 * so that a channel subscribed while the link was down is not forgotten.
 */
export class Channels {
  private readonly listeners = new Map<string, (payload: Buffer) => void>();

  constructor(private readonly commands: Commands) {
    commands.client.on('messageBuffer', (channel, message) => this.listeners.get(channel.toString('utf8'))?.(message));
  }

  messages(channel: string): Observable<Buffer> {
    return new Observable<Buffer>((subscriber) => {
      const listener = (payload: Buffer) => subscriber.next(payload);
      this.listeners.set(channel, listener);
      // A failure here means the link is down: resubscribeAll() runs on recovery.
      this.commands.subscribe([channel]).catch(() => undefined);
      return () => {
        if (this.listeners.get(channel) !== listener) return;
        this.listeners.delete(channel);
        this.commands.unsubscribe([channel]).catch(() => undefined);
      };
    });
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
