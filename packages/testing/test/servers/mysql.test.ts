import { readFileSync } from 'node:fs';
import { type Connection, type ConnectionOptions, createConnection } from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { type MysqlServer, startMysql } from '../../src/servers/index.js';
import { expectLeftNothing, rejectionOf, stillPending } from './helpers.js';

const connections: Connection[] = [];
afterEach(() => {
  for (const c of connections.splice(0)) c.destroy();
});

async function connect(options: ConnectionOptions | string): Promise<Connection> {
  const connection = await createConnection(options as ConnectionOptions);
  connection.on('error', () => {
    // Seen through rejected queries.
  });
  connections.push(connection);
  return connection;
}

const base = (server: MysqlServer): ConnectionOptions => ({
  host: server.host,
  port: server.port,
  user: server.user,
  password: server.password,
  database: server.database,
  connectTimeout: 10_000,
});

describe('startMysql (MariaDB)', () => {
  it('starts and answers mysql2 through its url', async () => {
    await using server = await startMysql();
    expect(server.url).toBe(`mysql://tooz:tooz@127.0.0.1:${server.port}/tooz`);
    const c = await connect(server.url);
    const [rows] = await c.query('select current_user() as u, database() as d, version() as v');
    expect(rows).toEqual([{ u: 'tooz@%', d: 'tooz', v: expect.stringMatching(/MariaDB/) }]);
  });

  it('restart and kill keep committed data (as InnoDB does)', async () => {
    await using server = await startMysql();
    const before = await connect(base(server));
    await before.query('create table t (v varchar(20)) engine=InnoDB');
    await before.query("insert into t values ('committed')");
    await server.restart();
    await server.kill();
    await server.start();
    const after = await connect(base(server));
    const [rows] = await after.query('select v from t');
    expect(rows).toEqual([{ v: 'committed' }]);
  });

  it('kill is seen by a connected client', async () => {
    await using server = await startMysql();
    const c = await connect(base(server));
    await server.kill();
    await expect(c.query('select 1')).rejects.toThrow();
  });

  it('pause leaves a query waiting, resume answers it', async () => {
    await using server = await startMysql();
    const c = await connect(base(server));
    await server.pause();
    const pending = c.query('select 42 as answer');
    expect(await stillPending(pending)).toBe(true);
    await server.resume();
    expect((await pending)[0]).toEqual([{ answer: 42 }]);
  });

  it('leaves nothing behind after dispose', async () => {
    const server = await startMysql();
    await server[Symbol.asyncDispose]();
    expectLeftNothing(server);
  });

  it('refuses a wrong password', async () => {
    await using server = await startMysql({ user: 'app', password: 'right', database: 'appdb' });
    await connect(base(server));
    const error = await rejectionOf(connect({ ...base(server), password: 'wrong' }));
    expect(error.message).toMatch(/Access denied/);
  });
});

describe('startMysql SSL flavours', () => {
  it('SSL: accepted with the test CA, refused without SSL', async () => {
    await using server = await startMysql({ ssl: true });
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    const secure = await connect({ ...base(server), ssl: { ca: readFileSync(certs.ca) } });
    const [rows] = await secure.query("show status like 'Ssl_version'");
    expect(rows).toEqual([{ Variable_name: 'Ssl_version', Value: expect.stringMatching(/TLS/) }]);
    const plain = await rejectionOf(connect(base(server)));
    expect(plain.message).toMatch(/Access denied/);
  });

  it('SSL with client certificates: refused without one', async () => {
    await using server = await startMysql({ ssl: { clientAuth: true } });
    const certs = server.certs;
    if (!certs) throw new Error('no certificates');
    const ca = readFileSync(certs.ca);
    await connect({
      ...base(server),
      ssl: { ca, cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
    });
    const refused = await rejectionOf(connect({ ...base(server), ssl: { ca } }));
    expect(refused.message).toMatch(/Access denied/);
  });
});
