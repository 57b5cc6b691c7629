import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allocate } from './allocation.js';
import { findBinary } from './binaries.js';
import { generateCerts } from './certs.js';
import { copyTemplate, dataTemplate } from './data-template.js';
import { ManagedServer, startManaged } from './managed-server.js';
import { mysqlGreeting } from './probes/mysql-greeting.js';
import { runCommand } from './run-command.js';
import type { CertPaths, ServerHandle, TlsOptions } from './types.js';

/** Options of `startMysql`. */
export interface MysqlOptions {
  /** A user with every privilege, reachable from 127.0.0.1 (default `tooz`). */
  readonly user?: string;
  /** Its password (default `tooz`). */
  readonly password?: string;
  /** A database for the tests (default `tooz`). */
  readonly database?: string;
  /** SSL required for the user (REQUIRE SSL); `clientAuth` requires a client certificate (REQUIRE X509). */
  readonly ssl?: boolean | TlsOptions;
}

/**
 * MariaDB (InnoDB) keeps every committed transaction across stop(),
 * restart() and kill() (the redo log is written at each commit and flushed
 * to disk once a second: a killed server loses nothing, a power cut might).
 */
export interface MysqlServer extends ServerHandle {
  /** The test user, what the url logs in as. */
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

/** Small buffers and no doublewrite/binlog: a test server, started in about a second. */
const SERVER_TUNING = [
  '--innodb-buffer-pool-size=32M',
  '--innodb-log-file-size=8M',
  '--innodb-flush-log-at-trx-commit=2',
  '--innodb-doublewrite=0',
  '--skip-log-bin',
  '--performance-schema=OFF',
  '--skip-name-resolve',
];

const literal = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const ident = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/** Root needs --user=root: mariadbd otherwise refuses to run as root. */
const runAs = () => (process.getuid?.() === 0 ? ['--user=root'] : []);

async function mariadbTemplate(mariadbd: string): Promise<string> {
  const installDb = findBinary('mariadb-install-db');
  const version = (await runCommand(mariadbd, ['--version'])).trim();
  const args = [
    '--no-defaults',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...runAs(),
    ...SERVER_TUNING,
  ];
  return dataTemplate('mariadb', `${version} ${args.join(' ')}`, async (dir) => {
    await runCommand(installDb, [...args, `--datadir=${join(dir, 'data')}`]);
  });
}

function initSql(user: string, password: string, database: string, ssl: boolean, clientAuth: boolean): string {
  const account = `${literal(user)}@'%'`;
  const requirement = clientAuth ? ' REQUIRE X509' : ssl ? ' REQUIRE SSL' : '';
  // Runs at every start, so each statement must be idempotent.
  return `${[
    `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${literal(password)};`,
    `ALTER USER ${account} IDENTIFIED BY ${literal(password)}${requirement};`,
    `GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION;`,
    `CREATE DATABASE IF NOT EXISTS ${ident(database)};`,
  ].join('\n')}\n`;
}

/** A MariaDB server (the Debian `mariadb-server`) on a free loopback port. */
export async function startMysql(options: MysqlOptions = {}): Promise<MysqlServer> {
  const mariadbd = findBinary('mariadbd');
  const user = options.user ?? 'tooz';
  const password = options.password ?? 'tooz';
  const database = options.database ?? 'tooz';
  const ssl = Boolean(options.ssl);
  const clientAuth = typeof options.ssl === 'object' && Boolean(options.ssl.clientAuth);
  const { dir, host, port, guard } = await allocate('mysql');
  const dataDir = join(dir, 'data');
  const initFile = join(dir, 'init.sql');

  const certs = await guard(async () => {
    const template = await mariadbTemplate(mariadbd);
    await copyTemplate(join(template, 'data'), dataDir);
    await mkdir(join(dir, 'tmp'));
    await writeFile(initFile, initSql(user, password, database, ssl, clientAuth), { mode: 0o600 });
    return ssl ? generateCerts(join(dir, 'certs'), { clientName: user }) : undefined;
  });

  const server = new ManagedServer({
    name: 'mysql',
    host,
    port,
    dir,
    url: `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`,
    launch: () => ({
      command: mariadbd,
      args: [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--port=${port}`,
        `--bind-address=${host}`,
        `--socket=${join(dir, 'mysqld.sock')}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        `--tmpdir=${join(dir, 'tmp')}`,
        `--init-file=${initFile}`,
        ...runAs(),
        ...SERVER_TUNING,
        ...(certs ? [`--ssl-ca=${certs.ca}`, `--ssl-cert=${certs.serverCert}`, `--ssl-key=${certs.serverKey}`] : []),
      ],
      cwd: dir,
    }),
    ready: async () => (await mysqlGreeting({ host, port })).ready,
  });
  return startManaged(Object.assign(server, { user, password, database, ssl, certs }));
}
