import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findBinary } from '../../src/servers/binaries.js';
import { type RedisServer, startRedis } from '../../src/servers/index.js';
import { isProcessAlive, liveResources } from '../../src/internal.js';
import { eventually, expectLeftNothing, rejectionOf } from './helpers.js';
import { sysvSegmentExists } from './sysv.js';

const workspaceRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const holdServers = fileURLToPath(new URL('./fixtures/hold-servers.ts', import.meta.url));

interface Report {
  readonly pids: number[];
  readonly dirs: string[];
  readonly ports: number[];
  readonly shmids: number[];
  readonly watchdog: number | undefined;
}

/** Starts a separate test process holding servers; resolves with what it created. */
function holdServersInChild(mode: 'wait' | 'exit') {
  const { NODE_OPTIONS: _, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', holdServers, mode], {
    cwd: workspaceRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const report = new Promise<Report>((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line && stdout.includes('\n')) resolve(JSON.parse(line) as Report);
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before reporting:\n${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, report, exited };
}

async function expectAllGone(report: Report): Promise<void> {
  await eventually(() => {
    for (const pid of report.pids) expect(isProcessAlive(pid), `pid ${pid}`).toBe(false);
    for (const dir of report.dirs) expect(existsSync(dir), dir).toBe(false);
    for (const port of report.ports)
      expect(existsSync(join(tmpdir(), 'tooz-test-ports', String(port))), `port ${port}`).toBe(false);
    for (const shmid of report.shmids) expect(sysvSegmentExists(shmid), `shm ${shmid}`).toBe(false);
    if (report.watchdog !== undefined) expect(isProcessAlive(report.watchdog), 'watchdog').toBe(false);
  }, 30_000);
}

describe('no orphans', () => {
  it('a SIGKILLed test process leaves no server, backend or directory behind (the watchdog)', async () => {
    const { child, report, exited } = holdServersInChild('wait');
    const created = await report;
    expect(created.pids.length).toBeGreaterThan(3);
    for (const pid of created.pids) expect(isProcessAlive(pid)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    await expectAllGone(created);
  });

  it('a SIGTERMed test process cleans up (signal handlers)', async () => {
    const { child, report, exited } = holdServersInChild('wait');
    const created = await report;
    child.kill('SIGTERM');
    await exited;
    await expectAllGone(created);
  });

  it('a test process that exits with handles never disposed cleans up (exit handler)', async () => {
    const { report, exited } = holdServersInChild('exit');
    const created = await report;
    await exited;
    await expectAllGone(created);
  });

  it('a test that fails inside `await using` still disposes its server', async () => {
    let server: RedisServer | undefined;
    const failure = await rejectionOf(
      (async () => {
        await using redis = await startRedis();
        server = redis;
        throw new Error('the test failed');
      })(),
    );
    expect(failure.message).toBe('the test failed');
    if (!server) throw new Error('never started');
    expectLeftNothing(server);
  });

  it('a server that fails to start is cleaned up, and the error shows its log', async () => {
    const before = liveResources();
    const error = await rejectionOf(startRedis({ config: { 'no-such-directive': 'x' } }));
    expect(error.message).toMatch(/redis on 127\.0\.0\.1:\d+: the process exited/);
    expect(error.message).toMatch(/no-such-directive/);
    expect(liveResources()).toEqual(before);
  });

  it('a missing server binary is an error naming the setup script, never a skip', () => {
    expect(() => findBinary('tooz-no-such-server')).toThrow(/scripts\/setup-servers\.sh/);
  });
});
