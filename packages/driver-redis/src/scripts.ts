import { createHash } from 'node:crypto';
import { LUA_CODES } from './codes.js';
import { LUA_SOURCES } from './lua/sources.generated.js';

/** One Lua script, as sent to Redis: EVALSHA by its digest, EVAL when the server does not know it yet. */
export interface Script {
  readonly name: string;
  /** The keys it always takes; the lock scripts take more in lockMode 'tooz' (Commands sends however many are given). */
  readonly numKeys: number;
  readonly source: string;
  readonly sha: string;
}

/** Every script the driver runs, by purpose; files are `src/lua/<name>-<numKeys>.lua`. */
export interface Scripts {
  readonly acquire: Script;
  readonly release: Script;
  readonly refresh: Script;
  readonly forceRelease: Script;
  readonly create: Script;
  readonly delete: Script;
  readonly join: Script;
  readonly leave: Script;
  readonly heartbeat: Script;
  readonly update: Script;
  readonly members: Script;
  readonly expire: Script;
}

const FILES: Readonly<Record<keyof Scripts, string>> = {
  acquire: 'acquire-2',
  release: 'release-1',
  refresh: 'refresh-2',
  forceRelease: 'break-1',
  create: 'create-2',
  delete: 'delete-5',
  join: 'join-5',
  leave: 'leave-3',
  heartbeat: 'heartbeat-5',
  update: 'update-3',
  members: 'members-4',
  expire: 'expire-4',
};

// Embedded at build time (scripts/embed-lua.mjs), so a bundled application needs no files beside it.
const INCLUDE = /^--@include ([\w-]+)\s*$/gm;

function lua(name: string): string {
  const source = LUA_SOURCES[name];
  if (source === undefined) throw new Error(`no Lua script ${name} (run scripts/embed-lua.mjs)`);
  return source;
}

function loadScript(file: string): Script {
  const numKeys = Number(file.slice(file.lastIndexOf('-') + 1));
  const body = lua(file).replace(INCLUDE, (_, include: string) => lua(`includes/${include}`));
  const source = LUA_CODES + body;
  return { name: file, numKeys, source, sha: createHash('sha1').update(source).digest('hex') };
}

let loaded: Promise<Scripts> | undefined;

/** Reads the scripts once per process. */
export function loadScripts(): Promise<Scripts> {
  loaded ??= (async () => {
    const entries = Object.entries(FILES).map(([purpose, file]) => [purpose, loadScript(file)] as const);
    return Object.fromEntries(entries) as unknown as Scripts;
  })();
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}
