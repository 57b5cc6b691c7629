import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, type ClientConfig } from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../src/servers/index.js';
import { expectLeftNothing, rejectionOf, stillPending } from './helpers.js';
import { postgresShmid, sysvSegmentExists } from './sysv.js';

const clients: Client[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.end()));
});

async function connect(config: ClientConfig): Promise<Client> {
  const client = new Client({ connectionTimeoutMillis: 10_000, ...config });
  client.on('error', () => {
    // Seen through rejected queries.
  });
  clients.push(client);
  await client.connect();
  return client;
}

const base = (server: PostgresServer): ClientConfig => ({
  host: server.host,
  port: server.port,
  user: server.user,
  password: server.password,
  database: server.database,
});

describe('startPostgres', () => {
  it('starts and answers pg through its url, as its user in its database', async () => {
    await using server = await startPostgres();
    expect(server.url).toBe(`postgres://tooz:tooz@127.0.0.1:${server.port}/tooz`);
    const client = await connect({ connectionString: server.url });
    const { rows } = await client.query('select current_user as u, current_database() as d');
    expect(rows).toEqual([{ u: 'tooz', d: 'tooz' }]);
  });

  it('restart and kill keep committed data (as PostgreSQL does)', async () => {
    await using server = await startPostgres();
    const before = await connect(base(server));
    await before.query('create table t (v text)');
    await before.query("insert into t values ('committed')");
    await server.restart();
    await server.kill();
    await server.start();
    const after = await connect(base(server));
    expect((await after.query('select v from t')).rows).toEqual([{ v: 'committed' }]);
  });

  it('kill is seen by a connected client', async () => {
    await using server = await startPostgres();
    const client = await connect(base(server));
    await server.kill();
    await expect(client.query('select 1')).rejects.toThrow();
  });

  it('pause leaves a query waiting, resume answers it', async () => {
    await using server = await startPostgres();
    const client = await connect(base(server));
    await server.pause();
    const pending = client.query('select 42 as answer');
    expect(await stillPending(pending)).toBe(true);
    await server.resume();
    expect((await pending).rows).toEqual([{ answer: 42 }]);
  });

  it('leaves nothing behind after dispose, not even its System V segment', async () => {
    const server = await startPostgres();
    await connect(base(server));
    const shmid = postgresShmid(join(server.dir, 'data'));
    expect(sysvSegmentExists(shmid)).toBe(true);
    await server[Symbol.asyncDispose]();
    expectLeftNothing(server);
    expect(sysvSegmentExists(shmid)).toBe(false);
  });

  it('refuses a wrong password', async () => {
    await using server = await startPostgres({ user: 'app', password: 'right', database: 'appdb' });
    expect(server.url).toBe(`postgres://app:right@127.0.0.1:${server.port}/appdb`);
    await connect(base(server));
    const error = await rejectionOf(connect({ ...base(server), password: 'wrong' }));
    expect(error.message).toMatch(/password authentication failed/);
  });
});

describe('startPostgres SSL flavours', () => {
  it('SSL: accepted with the test CA, refused without SSL', async () => {
    await using server = await startPostgres({ ssl: true });
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    const secure = await connect({ ...base(server), ssl: { ca: readFileSync(certs.ca) } });
    expect((await secure.query('select ssl from pg_stat_ssl where pid = pg_backend_pid()')).rows).toEqual([
      { ssl: true },
    ]);
    const plain = await rejectionOf(connect({ ...base(server), ssl: false }));
    expect(plain.message).toMatch(/no encryption|pg_hba/);
  });

  it('SSL with client certificates: refused without one', async () => {
    await using server = await startPostgres({ ssl: { clientAuth: true } });
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    const ca = readFileSync(certs.ca);
    await connect({
      ...base(server),
      ssl: { ca, cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
    });
    const refused = await rejectionOf(connect({ ...base(server), ssl: { ca } }));
    expect(refused.message).toMatch(/certificate/i);
  });
});
