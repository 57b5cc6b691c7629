#!/usr/bin/env node
/**
 * Scaffolds a driver package in the one driver shape (core's README,
 * "Writing a driver"), modelled on the memory driver
 * (packages/testing/src/memory) and the kit (`@tooz/core/driver`):
 *
 *   node scripts/new-driver.mjs <name> [--scheme <scheme>]... [--liveness session|ttl]
 *                                      [--notifications push|poll] [--out <dir>]
 *
 * Writes packages/driver-<name> (or <dir>). Every backend call is a stub that
 * throws "not implemented", and the package's "tooz" block says
 * `"status": "planned"`, so a scaffold never passes as a driver nor is
 * offered to users. Then: `pnpm install`, `node scripts/drivers.mjs`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE =
  'usage: node scripts/new-driver.mjs <name> [--scheme <scheme>]... [--liveness session|ttl] [--notifications push|poll] [--out <dir>]';

function fail(message) {
  console.error(`new-driver: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { name: undefined, schemes: [], liveness: 'session', notifications: 'push', out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i] ?? fail(`${arg} needs a value`);
    if (arg === '--scheme') args.schemes.push(value());
    else if (arg === '--liveness') args.liveness = value();
    else if (arg === '--notifications') args.notifications = value();
    else if (arg === '--out') args.out = value();
    else if (arg === '--help' || arg === '-h') fail('scaffolds a driver package');
    else if (arg.startsWith('-') || args.name !== undefined) fail(`unexpected argument ${arg}`);
    else args.name = arg;
  }
  if (!args.name || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(args.name)) fail('<name> must be lower-case, like mysql');
  if (args.schemes.length === 0) args.schemes.push(args.name);
  for (const scheme of args.schemes) if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) fail(`bad scheme ${scheme}`);
  if (!['session', 'ttl'].includes(args.liveness)) fail('--liveness is session or ttl');
  if (!['push', 'poll'].includes(args.notifications)) fail('--notifications is push or poll');
  return args;
}

const args = parseArgs(process.argv.slice(2));
const name = args.name;
const camel = name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const Name = camel[0].toUpperCase() + camel.slice(1);
const scheme = args.schemes[0];
const ttl = args.liveness === 'ttl';
const poll = args.notifications === 'poll';
const pkg = `@tooz/driver-${name}`;
const out = resolve(args.out ?? join(ROOT, 'packages', `driver-${name}`));
if (existsSync(out) && readdirSync(out).length > 0) fail(`${out} exists and is not empty`);

const files = {};

files['package.json'] = `${JSON.stringify(
  {
    name: pkg,
    version: '0.0.0',
    description: `${Name} driver (scaffolded: not implemented yet).`,
    license: 'Apache-2.0',
    type: 'module',
    sideEffects: false,
    exports: {
      '.': {
        development: './src/index.ts',
        types: './dist/index.d.ts',
        import: './dist/index.js',
        default: './dist/index.js',
      },
    },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    files: ['dist', 'src', 'README.md'],
    engines: { node: '>=20' },
    scripts: { build: 'tsc -p tsconfig.build.json' },
    dependencies: { zod: '^4.1.0' },
    peerDependencies: { '@tooz/core': 'workspace:^', rxjs: '^7.8.0' },
    devDependencies: { '@tooz/core': 'workspace:*', '@tooz/testing': 'workspace:*', rxjs: '^7.8.2', vitest: '^4.0.0' },
    tooz: {
      driver: name,
      status: 'planned',
      schemes: args.schemes,
      primitives: ['groups', 'leadership', 'locks', 'fencing'],
      liveness: args.liveness,
      notifications: args.notifications,
      ...(poll ? { pollInterval: 1000 } : {}),
      url: `${scheme}://127.0.0.1`,
      bench: false,
    },
  },
  null,
  2,
)}\n`;

files['tsconfig.json'] = `{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": {
    "noEmit": true
  },
  "include": ["src", "test"]
}
`;

files['tsconfig.build.json'] = `{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": {
    "outDir": "dist",
    "rootDir": "src",
    "noEmit": false,
    "customConditions": [],
    "declarationMap": true
  },
  "include": ["src"]
}
`;

files['src/index.ts'] = `export { ${camel}, ${camel}Capabilities, fromUrl } from './driver.js';
export type { ${Name}LockHandle } from './locks.js';
export type { ${Name}MemberHandle } from './groups.js';
export type { ${Name}Options } from './options.js';
export type { ${Name}Session } from './session.js';
`;

files['src/driver.ts'] = `import type { CapabilityDescriptor, ConnectionUrl, Driver } from '@tooz/core/driver';
import { type ${Name}Options, type ${Name}Settings, parse${Name}Options } from './options.js';
import { ${Name}Session } from './session.js';

/**
 * What the ${name} driver offers: shown in the README, read by core and by the
 * conformance suite. Keep it in step with the "tooz" block of package.json
 * (\`node scripts/drivers.mjs --check\` compares them). TODO: only what the
 * backend really gives, and the characteristics of tooz's driver for it.
 */
export const ${camel}Capabilities = {
  name: '${name}',
  primitives: { groups: true, leadership: true, locks: true, fencing: true },
  notifications: '${args.notifications}',${poll ? '\n  pollInterval: 1000,' : ''}
  liveness: '${args.liveness}',
  characteristics: ['DISTRIBUTED_ACROSS_THREADS', 'DISTRIBUTED_ACROSS_PROCESSES', 'DISTRIBUTED_ACROSS_HOSTS'],
} as const satisfies CapabilityDescriptor;

function create(settings: ${Name}Settings): Driver<typeof ${camel}Capabilities> {
  const hosts = settings.hosts.map(({ host, port }) => (port === undefined ? host : \`\${host}:\${port}\`));
  return {
    capabilities: ${camel}Capabilities,
    // Printed in errors and by the CLI: never a credential.
    description: \`${scheme}://\${hosts.join(',')}\`,
    open: (context) => ${Name}Session.open(settings, context),
  };
}

/** A driver object: \`connect(${camel}({ hosts: '127.0.0.1' }))\`. */
export function ${camel}(options: ${Name}Options = {}): Driver<typeof ${camel}Capabilities> {
  return create(parse${Name}Options(options));
}

/**
 * \`connect('${scheme}://user:password@h1,h2:port?option=value')\`: the URL's hosts
 * and credentials, then the options core did not consume (query parameters
 * as strings, merged with the caller's). A bare number in a URL duration
 * means seconds, as in tooz.
 */
export function fromUrl(url: ConnectionUrl, options: Readonly<Record<string, unknown>>): Driver {
  const fromAuthority: Record<string, unknown> = {};
  const hosts = url.hosts.filter(({ host }) => host !== '');
  if (hosts.length > 0) fromAuthority.hosts = hosts.map(({ host, port }) => ({ host, port }));
  if (url.username) fromAuthority.username = url.username;
  if (url.password) fromAuthority.password = url.password;
  return create(parse${Name}Options({ ...fromAuthority, ...options }, 's'));
}
`;

files['src/options.ts'] =
  `import { duration, flag, hostList, parseDriverOptions, pem, secret } from '@tooz/core/driver';
import { z } from 'zod';

/** Options of \`${camel}({...})\`; a \`${scheme}://\` URL's query gives the same ones as strings. */
export interface ${Name}Options {
  /** Servers: \`'h1:port,h2:port'\`, a list of such, or \`{ host, port }\` objects (default 127.0.0.1). */
  readonly hosts?: string | readonly (string | { readonly host: string; readonly port?: number })[];
  readonly username?: string;
  /** Registered as a secret: never shown in an error or a log. */
  readonly password?: string;
  /** TLS to the server (\`?tls=1\` in a URL). */
  readonly tls?: boolean | string;
  /** The CA to verify the server with: PEM text, a Buffer, or a file path (read at once). */
  readonly tlsCa?: string | Buffer;
  /** Give up a connection attempt after this long (ms, or a string with a unit; default 10 s). */
  readonly connectTimeout?: number | string;
}

/** The kit's option pieces: one spelling of booleans, hosts, PEM material and secrets on every driver. */
function schema(bareUnit: 'ms' | 's') {
  return z
    .object({
      hosts: hostList.default([{ host: '127.0.0.1', port: undefined }]),
      username: z.string().min(1).optional(),
      password: secret.optional(),
      tls: flag.default(false),
      tlsCa: pem.optional(),
      connectTimeout: duration(bareUnit).default(10_000),
    })
    .strict();
}

/** The options once parsed: defaults filled, files read, secrets registered. */
export type ${Name}Settings = z.output<ReturnType<typeof schema>>;

/** tooz's snake_case spellings, renamed to ours. */
const TOOZ_ALIASES = { connect_timeout: 'connectTimeout', ssl_ca: 'tlsCa' };

/**
 * Refuses anything unknown or malformed with an InvalidArgumentError naming
 * the field, before anything is written. \`bareUnit\`: what a bare number in a
 * duration string means ('s' in URLs).
 */
export function parse${Name}Options(
  input: ${Name}Options | Readonly<Record<string, unknown>>,
  bareUnit: 'ms' | 's' = 'ms',
): ${Name}Settings {
  return parseDriverOptions(schema(bareUnit), { ...input }, TOOZ_ALIASES);
}
`;

files['src/errors.ts'] = `import { ConnectionError, ToozError } from '@tooz/core/driver';

/**
 * The one place the client library's errors become tooz errors. TODO: map
 * the backend's answers to GroupNotFoundError, GroupAlreadyExistsError,
 * MemberNotJoinedError...; a refusal of credentials to a ConnectionError with
 * \`retryable: false\`; keep only text that cannot hold a credential.
 */
export function toToozError(error: unknown, what = '${Name} call'): ToozError {
  if (error instanceof ToozError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectionError(\`\${what} failed: \${message}\`, { cause: error });
}

/** What every stub of the scaffold throws, so a scaffold never passes as a driver. Delete it once unused. */
export function notImplemented(what: string): Error {
  return new Error(\`${pkg}: \${what} is not implemented yet (scaffolded by scripts/new-driver.mjs)\`);
}
`;

files['src/keys.ts'] = `import type { GroupId, LockKey, MemberId } from '@tooz/core/driver';

/**
 * Every key, path or table name the driver uses, built here and nowhere
 * else, under the coordinator's namespace. Names are escaped (or hashed) so
 * that any valid id works; where it costs nothing, follow tooz's own layout
 * on this backend, so that Python tooz services can share it.
 */
export class ${Name}Keys {
  constructor(private readonly namespace: string) {}

  /** Locks and leader seats never meet: \`kind\` keeps their names apart. */
  lock(key: LockKey): string {
    return \`\${this.namespace}/\${key.kind}/\${encodeURIComponent(key.name)}\`;
  }

  group(group: GroupId): string {
    return \`\${this.namespace}/group/\${encodeURIComponent(group)}\`;
  }

  member(group: GroupId, member: MemberId): string {
    return \`\${this.group(group)}/\${encodeURIComponent(member)}\`;
  }
}
`;

const lockRefresh = ttl
  ? `
  /** Extends the hold by \`ttl\`; false when it is no longer this handle's. Core schedules it. */
  async refresh(key: LockKey, handle: ${Name}LockHandle, options: LockOptions): Promise<boolean> {
    throw notImplemented(\`locks.refresh(\${this.keys.lock(key)}, \${handle.owner}, \${options.ttl} ms)\`);
  }
`
  : '';

const lockChanges = poll
  ? `
  /** No push on this backend: core re-reads \`holder()\` every poll interval itself. */
  changes(): Observable<LockChange> {
    return EMPTY;
  }
`
  : `
  /** One backend watch per key however many waiters (the kit's SharedWatches); \`resync\` after a gap. */
  changes(key: LockKey): Observable<LockChange> {
    return throwError(() => notImplemented(\`locks.changes(\${this.keys.lock(key)})\`));
  }
`;

files['src/locks.ts'] = `import type {
  LockBackend,
  LockChange,
  LockHandle,
  LockHolder,
  LockKey,
  LockOptions,
  TryAcquireResult,
} from '@tooz/core/driver';
import { ${poll ? 'EMPTY, type Observable' : 'type Observable, throwError'} } from 'rxjs';
import { notImplemented } from './errors.js';
import type { ${Name}Keys } from './keys.js';

/**
 * One hold of a lock or a leader seat. \`token\` is the fencing token, from
 * the backend itself; \`lost$\` (a kit LossSignal's) tells of a hold taken
 * away, \`stolen\` or \`expired\`.
 */
export interface ${Name}LockHandle extends LockHandle {
  /** What names this very hold on the backend (TODO: a row id, a revision, an owner value). */
  readonly owner: string;
}

/**
 * Locks and leader seats (the model: packages/testing/src/memory/lock-store.ts).
 * Each call is one round trip; waiting, retrying and keeping holds alive are core's.
 */
export class ${Name}Locks implements LockBackend<${Name}LockHandle> {
  constructor(private readonly keys: ${Name}Keys) {}

  /** One attempt: take the key and bump its fencing counter in one atomic step. */
  async tryAcquire(key: LockKey, options: LockOptions): Promise<TryAcquireResult<${Name}LockHandle>> {
    throw notImplemented(\`locks.tryAcquire(\${this.keys.lock(key)}, \${options.ttl} ms)\`);
  }

  /** Releases only if this handle still holds it (false otherwise). */
  async release(key: LockKey, handle: ${Name}LockHandle): Promise<boolean> {
    throw notImplemented(\`locks.release(\${this.keys.lock(key)}, \${handle.owner})\`);
  }
${lockRefresh}
  async holder(key: LockKey): Promise<LockHolder | null> {
    throw notImplemented(\`locks.holder(\${this.keys.lock(key)})\`);
  }
${lockChanges}
  /** tooz's \`break_\`: deletes whatever hold exists; its holder's \`lost$\` says \`stolen\`. */
  async forceRelease(key: LockKey): Promise<boolean> {
    throw notImplemented(\`locks.forceRelease(\${this.keys.lock(key)})\`);
  }
}
`;

const groupRefresh = ttl
  ? `
  /** Extends the membership by \`ttl\`; false when it is gone. Core schedules it. */
  async refresh(group: GroupId, handle: ${Name}MemberHandle, options: MembershipOptions): Promise<boolean> {
    throw notImplemented(\`groups.refresh(\${this.keys.member(group, this.memberId)}, \${handle.owner}, \${options.ttl} ms)\`);
  }
`
  : '';

const groupWatch = poll
  ? `
  /** No push on this backend: core re-reads \`members()\` every poll interval itself. */
  watch(): Observable<GroupChange> {
    return EMPTY;
  }
`
  : `
  /** Hot changes of one group, one backend watch per group (the kit's SharedWatches); \`resync\` after a gap. */
  watch(group: GroupId): Observable<GroupChange> {
    return throwError(() => notImplemented(\`groups.watch(\${this.keys.group(group)})\`));
  }
`;

files['src/groups.ts'] = `import type {
  EncodedCapabilities,
  GroupBackend,
  GroupChange,
  GroupId,
  MemberHandle,
  MemberId,
  MembershipOptions,
} from '@tooz/core/driver';
import { ${poll ? 'EMPTY, type Observable' : 'type Observable, throwError'} } from 'rxjs';
import { notImplemented } from './errors.js';
import type { ${Name}Keys } from './keys.js';

/** One membership; \`lost$\` (a kit LossSignal's) tells of it removed by someone else. */
export interface ${Name}MemberHandle extends MemberHandle {
  /** What names this very membership on the backend (TODO). */
  readonly owner: string;
}

/**
 * Groups (the model: packages/testing/src/memory/group-store.ts). Capabilities
 * arrive encoded; store the bytes as they are. \`members()\` lists the live only.
 */
export class ${Name}Groups implements GroupBackend<${Name}MemberHandle> {
  constructor(
    private readonly keys: ${Name}Keys,
    private readonly memberId: MemberId,
  ) {}

  async create(group: GroupId): Promise<void> {
    throw notImplemented(\`groups.create(\${this.keys.group(group)})\`);
  }

  async delete(group: GroupId): Promise<void> {
    throw notImplemented(\`groups.delete(\${this.keys.group(group)})\`);
  }

  async list(): Promise<readonly GroupId[]> {
    throw notImplemented('groups.list()');
  }

  async join(group: GroupId, capabilities: EncodedCapabilities, options: MembershipOptions): Promise<${Name}MemberHandle> {
    const at = this.keys.member(group, this.memberId);
    throw notImplemented(\`groups.join(\${at}, \${capabilities.length} bytes, \${options.ttl} ms)\`);
  }

  async leave(group: GroupId, handle: ${Name}MemberHandle): Promise<void> {
    throw notImplemented(\`groups.leave(\${this.keys.member(group, this.memberId)}, \${handle.owner})\`);
  }
${groupRefresh}
  async update(group: GroupId, handle: ${Name}MemberHandle, capabilities: EncodedCapabilities): Promise<void> {
    const at = this.keys.member(group, this.memberId);
    throw notImplemented(\`groups.update(\${at}, \${handle.owner}, \${capabilities.length} bytes)\`);
  }

  async members(group: GroupId): Promise<ReadonlyMap<MemberId, EncodedCapabilities>> {
    throw notImplemented(\`groups.members(\${this.keys.group(group)})\`);
  }
${groupWatch}}
`;

files['src/session.ts'] = `import type { DriverContext, DriverSession, SessionSignal } from '@tooz/core/driver';
import { Subject } from 'rxjs';
import { notImplemented } from './errors.js';
import { ${Name}Groups, type ${Name}MemberHandle } from './groups.js';
import { ${Name}Keys } from './keys.js';
import { ${Name}Locks, type ${Name}LockHandle } from './locks.js';
import type { ${Name}Settings } from './options.js';

/**
 * One coordinator's connection (the model: packages/testing/src/memory/memory-session.ts).
 * It reports \`suspended\` when the backend cannot be reached, \`reconnected\`
 * when it can again, \`lost\` when the session and all it held are gone.
 * Timers run on \`context.scheduler\` only (the kit's withDeadline, sleep);
 * every retry waits \`context.backoff()\`.${
   ttl
     ? ''
     : `
 * A session backend also gives \`sessionDeadline()\` (the send of the last
 * answered round trip plus the session timeout, minus a margin), and
 * \`verify()\` if holds can be lost silently across a reconnect.`
 }
 */
export class ${Name}Session implements DriverSession<${Name}LockHandle, ${Name}MemberHandle> {
  readonly signals$ = new Subject<SessionSignal>();
  readonly locks: ${Name}Locks;
  readonly groups: ${Name}Groups;

  private constructor(
    readonly settings: ${Name}Settings,
    readonly context: DriverContext,
  ) {
    const keys = new ${Name}Keys(context.namespace);
    this.locks = new ${Name}Locks(keys);
    this.groups = new ${Name}Groups(keys, context.memberId);
  }

  /** Connects within \`settings.connectTimeout\`, failures through toToozError, then builds the session. */
  static async open(settings: ${Name}Settings, context: DriverContext): Promise<${Name}Session> {
    const hosts = settings.hosts.map(({ host }) => host).join(',');
    throw notImplemented(\`open(\${hosts}) for \${context.memberId}; then: new ${Name}Session(settings, context)\`);
  }

  /** Core has released everything before calling this. */
  async close(): Promise<void> {
    this.signals$.complete();
    throw notImplemented('close()');
  }
}
`;

files['test/conformance.test.ts'] = `import { connect } from '@tooz/core';
import { ${camel}, ${camel}Capabilities } from '${pkg}';
import { conformance } from '@tooz/testing/conformance';

// TODO: start a real server on a free loopback port with a fixture from
// @tooz/testing (\`startRedis()\` and its kin), and give \`faults\` through
// \`ProxiedMembers\` so the suspension and session-loss scenarios run too.
const hosts = process.env.TOOZ_${camel.toUpperCase()}_HOSTS ?? '127.0.0.1';

conformance('${name}', {
  capabilities: ${camel}Capabilities,
  ttl: 1_000,
  connect: (options) => connect(${camel}({ hosts }), options),
});
`;

files['README.md'] = `# ${pkg}

${Name} driver for [tooz for TypeScript](../../README.md). **Scaffolded: not implemented yet.**

\`\`\`sh
npm install @tooz/core ${pkg} rxjs
\`\`\`

\`\`\`ts
import { connect } from '@tooz/core';

const coordinator = await connect('${scheme}://127.0.0.1', { memberId: 'api-7' });
\`\`\`

or with a driver object, whose coordinator's type lacks what the driver cannot do:

\`\`\`ts
import { connect } from '@tooz/core';
import { ${camel} } from '${pkg}';

const coordinator = await connect(${camel}({ hosts: 'h1,h2' }), { memberId: 'api-7' });
\`\`\`

## Capability descriptor

\`\`\`ts
import type { CapabilityDescriptor } from '@tooz/core';

${files['src/driver.ts'].match(/export const \w+ = \{[\s\S]*?satisfies CapabilityDescriptor;/)[0]}
\`\`\`

TODO: what makes a holder alive here, when a loss is known (the detection
bound), where fencing tokens come from, and what happens if the backend
loses its data.

## Options

| option | URL | default | what |
|---|---|---|---|
| \`hosts\` | \`${scheme}://h1,h2:port\` | \`127.0.0.1\` | the servers |
| \`username\`, \`password\` | \`${scheme}://user:password@...\` | none | credentials (never shown in errors or logs) |
| \`tls\` | \`?tls=1\` | \`false\` | TLS to the server |
| \`tlsCa\` | \`?tlsCa=/path\`, \`?ssl_ca=\` | system CAs | the CA: PEM text, a Buffer, or a file path |
| \`connectTimeout\` | \`?connect_timeout=10\` (s) | \`10s\` | give up a connection attempt after this long |

## Python tooz

TODO: the keys or tables shared with Python tooz's ${name} driver, and an
interop test through \`ToozPeer\` from \`@tooz/testing\`.

## Benchmarks

TODO: \`bench/src/${name}.ts\`, then \`"bench": true\` in package.json's \`tooz\`
block and \`pnpm bench ${name}\`; figures as ratios against the raw client.
`;

for (const [path, text] of Object.entries(files)) {
  mkdirSync(dirname(join(out, path)), { recursive: true });
  writeFileSync(join(out, path), text);
}
// The publishing fields every package has (repository, exports, peers, prepack...).
spawnSync(process.execPath, [join(ROOT, 'scripts', 'package-meta.mjs'), out], { cwd: ROOT, stdio: 'inherit' });
// Line breaks depend on the name's length: the workspace's formatter settles them, when installed.
const biome = join(ROOT, 'node_modules', '.bin', 'biome');
if (existsSync(biome)) spawnSync(biome, ['format', '--write', out], { cwd: ROOT, stdio: 'ignore' });
const where = relative(process.cwd(), out) || '.';
console.log(`new-driver: wrote ${Object.keys(files).length} files to ${where}`);
console.log(
  `next: pnpm install; node scripts/drivers.mjs; then fill in every stub (grep -rn "notImplemented" ${where}/src),\n` +
    'keeping the checklist in packages/core/README.md, "Writing a driver". Remove "status": "planned" once published.',
);
