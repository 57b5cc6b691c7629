import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type NetworkNamespace, waitUntil } from '@tooz/testing';
import { claimPort, releasePort, TEMP_DIR_PREFIX } from '@tooz/testing/internal';

const run = promisify(execFile);
const USER = ['--user=root'];
const TUNING = [
  '--innodb-buffer-pool-size=32M',
  '--innodb-log-file-size=8M',
  '--innodb-flush-log-at-trx-commit=2',
  '--skip-log-bin',
  '--performance-schema=OFF',
  '--skip-name-resolve',
];

export interface NetnsMysql extends AsyncDisposable {
  readonly url: string;
  restart(): Promise<void>;
}

/**
 * MariaDB inside a test network namespace, for the history harness's
 * partition test: @tooz/testing's `startMysql` takes no `netns` yet. The
 * server listens on the namespace's loopback, where the workers' hosts reach
 * it and where a host can be cut off.
 */
export async function startMysqlInNetns(netns: NetworkNamespace): Promise<NetnsMysql> {
  const dir = await mkdtemp(join(tmpdir(), `${TEMP_DIR_PREFIX}mysql-netns-`));
  const port = await claimPort();
  const data = join(dir, 'data');
  await run('mariadb-install-db', [
    '--no-defaults',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...USER,
    `--datadir=${data}`,
  ]);
  await mkdir(join(dir, 'tmp'));
  const init = join(dir, 'init.sql');
  await writeFile(
    init,
    "CREATE USER IF NOT EXISTS 'tooz'@'%' IDENTIFIED BY 'tooz';\nGRANT ALL PRIVILEGES ON *.* TO 'tooz'@'%';\nCREATE DATABASE IF NOT EXISTS tooz;\n",
  );
  let child: ChildProcess | undefined;
  const start = async () => {
    const spec = netns.wrap({
      command: '/usr/sbin/mariadbd',
      args: [
        '--no-defaults',
        `--datadir=${data}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'mysqld.sock')}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        `--tmpdir=${join(dir, 'tmp')}`,
        `--init-file=${init}`,
        ...USER,
        ...TUNING,
      ],
    });
    child = spawn(spec.command, [...spec.args], { stdio: 'ignore' });
    const ping = ['--no-defaults', '-h', '127.0.0.1', '-P', String(port), '-u', 'tooz', '-ptooz', 'ping'];
    await waitUntil(async () => (await netns.run('mariadb-admin', ping)).includes('alive'), 60_000, 'MariaDB up');
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    // nsenter passes the signal on; mariadbd shuts down cleanly on SIGTERM.
    proc.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `mysql://tooz:tooz@127.0.0.1:${port}/tooz`,
    restart: async () => {
      await stop();
      await start();
    },
    [Symbol.asyncDispose]: async () => {
      await stop();
      releasePort(port);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
