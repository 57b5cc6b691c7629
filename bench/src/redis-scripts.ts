/**
 * The redis driver's own compiled Lua scripts, for raw ioredis baselines that
 * send exactly what the driver sends (they are not a public export: loaded
 * by file URL next to the package's entry point).
 */
import type { Redis } from 'ioredis';

export interface Script {
  readonly sha: string;
  readonly source: string;
  readonly numKeys: number;
}

export interface DriverScripts {
  readonly acquire: Script;
  readonly release: Script;
  readonly refresh: Script;
}

export async function driverScripts(): Promise<DriverScripts> {
  const entry = import.meta.resolve('@tooz/driver-redis');
  const module = (await import(new URL('./scripts.js', entry).href)) as { loadScripts(): Promise<DriverScripts> };
  return module.loadScripts();
}

/** EVALSHA, falling back to EVAL the first time the server has not seen the script, as the driver does. */
export function evalScript(client: Redis, script: Script, ...args: (string | number)[]): Promise<unknown> {
  return client
    .evalsha(script.sha, script.numKeys, ...args)
    .catch(() => client.eval(script.source, script.numKeys, ...args));
}
