import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allocate } from './allocation.js';
import { postgresBinDir } from './binaries.js';
import { generateCerts } from './certs.js';
import { runTrackedCommand, trackCommand } from './cleanup-registry.js';
import { copyTemplate, dataTemplate } from './data-template.js';
import { ManagedServer, startManaged } from './managed-server.js';
import type { NetworkNamespace } from './netns.js';
import { chownTree, type OsUser, serviceUser } from './os-user.js';
import { runCommand } from './run-command.js';
import type { CertPaths, ServerHandle, TlsOptions } from './types.js';

/** Options of `startPostgres`. */
export interface PostgresOptions {
  /** A superuser created for the test (default `tooz`). */
  readonly user?: string;
  /** Its password; TCP logins always need it (scram-sha-256). Default `tooz`. */
  readonly password?: string;
  /** A database owned by that user (default `tooz`). */
  readonly database?: string;
  /** SSL required on every TCP connection; `clientAuth` also requires a client certificate whose CN is the user. */
  readonly ssl?: boolean | TlsOptions;
  /** Extra server settings, e.g. `{ max_connections: '200' }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /**
   * Run inside this network namespace (see netns.ts): `url` then works only
   * there (for peers on its hosts); the test process reaches the server
   * through its unix socket in `dir`.
   */
  readonly netns?: NetworkNamespace;
}

/**
 * PostgreSQL keeps every committed transaction across stop(), restart() and
 * kill() (crash recovery replays the WAL). fsync is off: a killed server
 * loses nothing, only a power cut would.
 */
export interface PostgresServer extends ServerHandle {
  /** The test superuser, what the url logs in as. */
  readonly user: string;
  /** Its password. */
  readonly password: string;
  /** The test database. */
  readonly database: string;
  /** Whether SSL is required. */
  readonly ssl: boolean;
  /** The PEM files, with `ssl`. */
  readonly certs: CertPaths | undefined;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

async function postgresTemplate(bin: string, user: OsUser | undefined): Promise<string> {
  const version = (await runCommand(join(bin, 'postgres'), ['--version'])).trim();
  // Trust and the `postgres` superuser: credentials are set on each copy.
  // 1 MB WAL segments instead of 16: every server copies the template, smaller is faster.
  const args = [
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
    '--no-instructions',
    '--wal-segsize=1',
  ];
  return dataTemplate('postgres', `${version} ${args.join(' ')}`, async (dir) => {
    await chownTree(dir, user);
    await runCommand(join(bin, 'initdb'), ['-D', join(dir, 'data'), ...args], { ...(user ? { user } : {}), cwd: dir });
  });
}

function hbaConfig(ssl: boolean, clientAuth: boolean): string {
  // The unix socket lives in the server's private directory: only the fixture reaches it.
  const lines = ['local all all trust'];
  const kind = ssl ? 'hostssl' : 'host';
  const options = clientAuth ? ' clientcert=verify-full' : '';
  for (const network of ['127.0.0.1/32', '::1/128']) lines.push(`${kind} all all ${network} scram-sha-256${options}`);
  return `${lines.join('\n')}\n`;
}

/**
 * PostgreSQL keeps a small System V segment as an interlock. A clean
 * shutdown removes it and a restart reclaims a dead server's, but a server
 * killed for good (dispose, a killed test process) would leave it in the
 * kernel forever: note it after each start, so cleanup can ipcrm it.
 */
async function trackSysvSegment(dataDir: string, key: string): Promise<void> {
  // postmaster.pid, line 7: "<key> <shmid>".
  const line = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[6] ?? '';
  const shmid = line.trim().split(/\s+/)[1];
  if (shmid && /^\d+$/.test(shmid)) trackCommand(key, ['ipcrm', '-m', shmid]);
}

/** A PostgreSQL on a free loopback port, with a user, a password and a database. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const osUser = serviceUser('postgres');
  const user = options.user ?? 'tooz';
  const password = options.password ?? 'tooz';
  const database = options.database ?? 'tooz';
  const ssl = Boolean(options.ssl);
  const clientAuth = typeof options.ssl === 'object' && Boolean(options.ssl.clientAuth);
  const { dir, host, port, guard } = await allocate('postgres');
  const dataDir = join(dir, 'data');
  const shmKey = `postgres-shm:${dir}`;

  const certs = await guard(async () => {
    const template = await postgresTemplate(bin, osUser);
    await copyTemplate(join(template, 'data'), dataDir);
    await writeFile(join(dataDir, 'pg_hba.conf'), hbaConfig(ssl, clientAuth));
    const generated = ssl ? await generateCerts(join(dir, 'certs'), { clientName: user }) : undefined;
    if (generated) await chmod(generated.serverKey, 0o600);
    await chownTree(dir, osUser);
    return generated;
  });

  const settings: Record<string, string> = {
    port: String(port),
    listen_addresses: host,
    unix_socket_directories: dir,
    fsync: 'off',
    full_page_writes: 'off',
    shared_buffers: '16MB',
    max_connections: '100',
    logging_collector: 'off',
    // Segments as files in the data directory, which dispose removes; the
    // default (POSIX shm in /dev/shm) outlives a killed server.
    dynamic_shared_memory_type: 'mmap',
    log_min_messages: 'warning',
    ...(certs
      ? { ssl: 'on', ssl_cert_file: certs.serverCert, ssl_key_file: certs.serverKey, ssl_ca_file: certs.ca }
      : {}),
    ...options.settings,
  };

  const server = new ManagedServer({
    name: 'postgres',
    host,
    port,
    dir,
    url: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`,
    // SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") waits for every client to leave.
    stopSignal: 'SIGINT',
    launch: () => {
      const spec = {
        command: join(bin, 'postgres'),
        args: ['-D', dataDir, ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])],
        cwd: dir,
        ...(osUser ? { user: osUser } : {}),
      };
      return options.netns ? options.netns.wrap(spec) : spec;
    },
    ready: async () => {
      // Over TCP, where the clients connect: inside the namespace when there is one.
      const probe = ['-q', '-h', host, '-p', String(port), '-t', '2'];
      if (options.netns) await options.netns.run(join(bin, 'pg_isready'), probe);
      else await runCommand(join(bin, 'pg_isready'), probe);
      return true;
    },
    onStarted: () => trackSysvSegment(dataDir, shmKey),
    onDisposed: async () => runTrackedCommand(shmKey),
  });
  const handle = Object.assign(server, { user, password, database, ssl, certs });
  await startManaged(handle);

  const sql = [
    user === 'postgres'
      ? `ALTER ROLE postgres PASSWORD ${literal(password)}`
      : `CREATE ROLE ${ident(user)} LOGIN SUPERUSER PASSWORD ${literal(password)}`,
    // FILE_COPY: a plain file copy of template1, cheaper than logging every page (the default since 15).
    ...(database === 'postgres' ? [] : [`CREATE DATABASE ${ident(database)} OWNER ${ident(user)} STRATEGY FILE_COPY`]),
  ];
  try {
    // Through the unix socket in the server's directory, where `postgres` is trusted.
    const connection = [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      dir,
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      'postgres',
    ];
    await runCommand(join(bin, 'psql'), [...connection, ...sql.flatMap((statement) => ['-c', statement])]);
  } catch (error) {
    await handle.dispose();
    throw error;
  }
  return handle;
}
