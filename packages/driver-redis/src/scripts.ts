import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LUA_CODES } from './codes.js';

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

// Next to this module in src/ and in dist/ alike: the build copies src/lua to dist/lua.
const LUA_DIR = new URL('./lua/', import.meta.url);
const INCLUDE = /^--@include ([\w-]+)\s*$/gm;

async function expandIncludes(source: string): Promise<string> {
  const names = [...source.matchAll(INCLUDE)].map((match) => match[1] as string);
  let out = source;
  for (const name of names) {
    const body = await readFile(new URL(`includes/${name}.lua`, LUA_DIR), 'utf8');
    out = out.replace(`--@include ${name}`, () => body);
  }
  return out;
}

async function loadScript(file: string): Promise<Script> {
  const numKeys = Number(file.slice(file.lastIndexOf('-') + 1));
  const body = await expandIncludes(await readFile(new URL(`${file}.lua`, LUA_DIR), 'utf8'));
  const source = LUA_CODES + body;
  return { name: file, numKeys, source, sha: createHash('sha1').update(source).digest('hex') };
}

let loaded: Promise<Scripts> | undefined;

/** Reads the scripts once per process. */
export function loadScripts(): Promise<Scripts> {
  loaded ??= (async () => {
    const entries = await Promise.all(
      Object.entries(FILES).map(async ([purpose, file]) => [purpose, await loadScript(file)] as const),
    );
    return Object.fromEntries(entries) as unknown as Scripts;
  })();
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}
