import { Redis } from 'ioredis';
import { loadScripts, type Script } from '../../src/scripts.js';
import type { Timeline } from './timeline.js';

/**
 * Records in a timeline every refresh of the watched keys that reaches the
 * server, with the server's arrival time, using MONITOR: the test sees the
 * holder's refresh cycle without reaching into the SDK. `keys` maps a
 * key (a lock key or a group key, the script's first key) to the hold name
 * used in the timeline.
 */
export class RefreshMonitor {
  private constructor(private readonly monitor: Redis) {}

  static async start(url: string, timeline: Timeline, keys: ReadonlyMap<string, string>): Promise<RefreshMonitor> {
    const scripts = await loadScripts();
    // Lock and leader seats refresh with one script, memberships with another.
    const refreshes: readonly Script[] = [scripts.refresh, scripts.heartbeat];
    const isRefresh = (command: string, body: string | undefined) =>
      refreshes.some((s) => (command === 'evalsha' ? s.sha === body : command === 'eval' && s.source === body));
    const admin = new Redis(url);
    // ioredis can read the first monitored line as MONITOR's own reply when both come in one read
    // ("Command queue state error", seen once in a fresh-clone run): each attempt opens a new connection.
    let monitor: Redis | undefined;
    for (let attempt = 1; !monitor; attempt++) {
      monitor = await admin.monitor().catch((error: unknown) => {
        if (attempt >= 3) throw error;
        return undefined;
      });
    }
    admin.disconnect();
    monitor.on('monitor', (time: string, args: string[]) => {
      const [command = '', body, , firstKey = ''] = args;
      const hold = keys.get(firstKey);
      if (hold === undefined || !isRefresh(command.toLowerCase(), body)) return;
      // Floored: never later than the arrival itself, so "lost at or after this refresh" is a safe comparison.
      timeline.add('refresh', hold, undefined, Math.floor(Number(time) * 1000));
    });
    return new RefreshMonitor(monitor);
  }

  stop(): void {
    this.monitor.disconnect();
  }
}
