import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allocate } from './allocation.js';
import { findBinary } from './binaries.js';
import { generateCerts } from './certs.js';
import { ManagedServer, startManaged } from './managed-server.js';
import { type ProbeTarget, readUntil, withSocket } from './probes/socket.js';
import type { CertPaths, ServerHandle, TlsOptions } from './types.js';

/** Options of `startMemcached`. */
export interface MemcachedOptions {
  /** memcached's experimental ASCII authentication (`-Y`): clients log in with a `set` of "user password". */
  readonly auth?: {
    /** The user name. */
    readonly user: string;
    /** Its password. */
    readonly password: string;
  };
  /** TLS (`-Z`), with certificates generated for this server. */
  readonly tls?: boolean | TlsOptions;
  /** Cache size; small by default so several fit on a test machine. */
  readonly memoryMb?: number;
}

/** memcached keeps everything in memory: stop(), restart() and kill() all lose every key. */
export interface MemcachedServer extends ServerHandle {
  /** The credentials, with `auth`. */
  readonly auth:
    | {
        /** The user name. */
        readonly user: string;
        /** Its password. */
        readonly password: string;
      }
    | undefined;
  /** Whether it speaks TLS. */
  readonly tls: boolean;
  /** The PEM files, with `tls`. */
  readonly certs: CertPaths | undefined;
}

/** The ASCII-auth login: a `set` whose value is "user password". */
export function memcachedAuthCommand(user: string, password: string): string {
  const token = `${user} ${password}`;
  return `set auth 0 0 ${Buffer.byteLength(token)}\r\n${token}\r\n`;
}

async function version(target: ProbeTarget, auth: MemcachedOptions['auth']): Promise<boolean> {
  return withSocket(target, async (socket) => {
    const login = auth ? memcachedAuthCommand(auth.user, auth.password) : '';
    socket.write(`${login}version\r\n`);
    const answer = (await readUntil(socket, (data) => data.includes('VERSION ') || data.includes('ERROR'))).toString();
    return answer.includes('VERSION ');
  });
}

/** A memcached on a free loopback port. */
export async function startMemcached(options: MemcachedOptions = {}): Promise<MemcachedServer> {
  const binary = findBinary('memcached');
  const { dir, host, port, guard } = await allocate('memcached');
  const tls = Boolean(options.tls);
  const clientAuth = typeof options.tls === 'object' && Boolean(options.tls.clientAuth);
  const certs = tls ? await guard(() => generateCerts(join(dir, 'certs'))) : undefined;
  const authFile = join(dir, 'auth');
  if (options.auth)
    await guard(() => writeFile(authFile, `${options.auth?.user}:${options.auth?.password}\n`, { mode: 0o600 }));

  const server = new ManagedServer({
    name: 'memcached',
    host,
    port,
    dir,
    url: `memcached://${host}:${port}`,
    launch: () => {
      const args = ['-l', host, '-p', String(port), '-U', '0', '-m', String(options.memoryMb ?? 64), '-t', '2'];
      // memcached refuses to run as root unless told which user to be.
      if (process.getuid?.() === 0) args.push('-u', 'root');
      if (options.auth) args.push('-Y', authFile);
      if (certs) {
        const settings = [
          `ssl_chain_cert=${certs.serverCert}`,
          `ssl_key=${certs.serverKey}`,
          `ssl_ca_cert=${certs.ca}`,
        ];
        // 2: SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT.
        if (clientAuth) settings.push('ssl_verify_mode=2');
        args.push('-Z', '-o', settings.join(','));
      }
      return { command: binary, args, cwd: dir };
    },
    ready: () => version({ host, port, certs }, options.auth),
  });
  return startManaged(Object.assign(server, { auth: options.auth, tls, certs }));
}
