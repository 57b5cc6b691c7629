import { connect as netConnect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import type { CertPaths } from '../types.js';

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  /** Connect with TLS, trusting the test CA and presenting the client certificate. */
  readonly certs?: CertPaths;
  /** Upper bound for the whole exchange. */
  readonly timeoutMs?: number;
}

/**
 * Opens a socket (TLS when certs are given) and runs one exchange on it,
 * always destroying it afterwards. The probes are deliberately dependency
 * free: the fixtures must not need the very client libraries under test.
 */
export function withSocket<T>(target: ProbeTarget, exchange: (socket: Socket) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const { host, port, certs } = target;
    const socket: Socket = certs
      ? tlsConnect({
          host,
          port,
          ca: readFileSync(certs.ca),
          cert: readFileSync(certs.clientCert),
          key: readFileSync(certs.clientKey),
          servername: 'localhost',
        })
      : netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} in ${target.timeoutMs ?? 2000} ms`));
    }, target.timeoutMs ?? 2000);
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
    socket.once(certs ? 'secureConnect' : 'connect', () => {
      exchange(socket).then(
        (value) => {
          clearTimeout(timer);
          socket.destroy();
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          socket.destroy();
          reject(error);
        },
      );
    });
  });
}

/** Collects incoming bytes until `complete` says the answer is whole; returns it. */
export function readUntil(socket: Socket, complete: (data: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (complete(data)) {
        cleanup();
        resolve(data);
      }
    };
    const onEnd = () => {
      cleanup();
      reject(
        new Error(
          `connection closed after ${data.length} bytes: ${JSON.stringify(data.toString('latin1').slice(0, 200))}`,
        ),
      );
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}

/** Reads everything until the server closes the connection (four-letter words, HTTP/1.0). */
export function readToEnd(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.once('error', reject);
  });
}
