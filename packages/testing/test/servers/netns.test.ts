import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type NetnsHost, startNetns, waitUntil } from '../../src/index.js';
import { isProcessAlive } from '../../src/internal.js';

/** Any port: nothing else listens in a namespace of our own. */
const PORT = 40_000;

/**
 * An echo server whose kernel gives up on a client that answers nothing
 * (TCP_USER_TIMEOUT, keepalive probes every second), as PostgreSQL's does
 * with the settings the driver asks for. It reports, as JSON lines, each
 * connection accepted and how each one ended.
 */
const ECHO_SERVER = `
import errno, json, socket, sys, threading
def say(**fields): print(json.dumps(fields), flush=True)
def serve(c, port):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, 1500)
    try:
        while True:
            data = c.recv(4096)
            if not data:
                return say(event='closed', port=port)
            c.sendall(data)
    except OSError as error:
        say(event='failed', port=port, error=errno.errorcode.get(error.errno, str(error)))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen()
say(event='listening')
while True:
    c, (_, port) = s.accept()
    say(event='accepted', port=port)
    threading.Thread(target=serve, args=(c, port), daemon=True).start()
`;

/** A client: sends each stdin line, reports each line echoed back; `connect-failed` if it cannot connect. */
const ECHO_CLIENT = `
import json, socket, sys, threading
def say(**fields): print(json.dumps(fields), flush=True)
try:
    c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=float(sys.argv[2]))
except OSError as error:
    say(event='connect-failed', error=type(error).__name__)
    sys.exit(0)
c.settimeout(None)
say(event='connected', port=c.getsockname()[1])
def read():
    while True:
        data = c.recv(4096)
        if not data:
            return say(event='closed')
        for line in data.decode().splitlines():
            say(event='echo', text=line)
threading.Thread(target=read, daemon=True).start()
for line in sys.stdin:
    c.sendall(line.encode())
`;

type Line = { event: string; port?: number; error?: string; text?: string };

/** A process speaking JSON lines, killed on dispose. */
class Lines implements AsyncDisposable {
  readonly lines: Line[] = [];
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  #stderr = '';

  constructor(spec: { command: string; args: readonly string[] }) {
    this.#child = spawn(spec.command, spec.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let partial = '';
    this.#child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk;
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) if (line.trim()) this.lines.push(JSON.parse(line) as Line);
    });
    this.#child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  send(line: string): void {
    this.#child.stdin.write(`${line}\n`);
  }

  async next(predicate: (line: Line) => boolean, what: string): Promise<Line> {
    await waitUntil(() => this.lines.some(predicate), 20_000, `${what} (stderr: ${this.#stderr})`);
    return this.lines.find(predicate) as Line;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill('SIGKILL');
    await exited;
  }
}

const python = (script: string, ...args: string[]) => ({ command: 'python3', args: ['-c', script, ...args] });
const client = (host: NetnsHost, connectTimeout = 20) =>
  new Lines(host.wrap(python(ECHO_CLIENT, String(PORT), String(connectTimeout))));

describe('startNetns', () => {
  it('has a namespace of its own with its loopback up, and leaves nothing behind', async () => {
    let pid: number;
    {
      await using net = await startNetns();
      pid = net.pid;
      expect(readlinkSync(net.path)).not.toBe(readlinkSync('/proc/self/ns/net'));
      expect(await net.run('ip', ['-o', 'link', 'show', 'lo'])).toMatch(/[<,]UP[,>]/);
    }
    expect(isProcessAlive(pid)).toBe(false);
  });

  it("partitions one host for real: the server's kernel times it out, other hosts carry on, heal lets it back", async () => {
    await using net = await startNetns();
    const [cutOff, other] = [await net.host('cut-off'), await net.host('other')];
    await using server = new Lines(net.wrap(python(ECHO_SERVER, String(PORT))));
    await server.next((line) => line.event === 'listening', 'the server');
    await using a = client(cutOff);
    await using b = client(other);
    const aPort = (await a.next((line) => line.event === 'connected', 'a connected')).port;
    await b.next((line) => line.event === 'connected', 'b connected');
    a.send('before');
    await a.next((line) => line.text === 'before', 'an echo to a');

    await cutOff.partition();
    expect(cutOff.partitioned).toBe(true);
    a.send('during');
    // No RST, no keepalive answered: the server's kernel gives the connection up on its own timeout.
    const failed = await server.next(
      (line) => line.event === 'failed' && line.port === aPort,
      'the server timing a out',
    );
    expect(failed.error).toBe('ETIMEDOUT');
    expect(a.lines.some((line) => line.text === 'during')).toBe(false);
    // The other host is not affected.
    b.send('still');
    await b.next((line) => line.text === 'still', 'an echo to b');
    // New connections from the cut-off host go nowhere (its SYNs are dropped, not refused).
    await using late = client(cutOff, 1);
    expect(await late.next(() => true, 'a connection attempt')).toEqual({
      event: 'connect-failed',
      error: 'TimeoutError',
    });

    await cutOff.heal();
    expect(cutOff.partitioned).toBe(false);
    await using again = client(cutOff);
    await again.next((line) => line.event === 'connected', 'a connection after heal');
    again.send('after');
    await again.next((line) => line.text === 'after', 'an echo after heal');
  });
});
