import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findBinary } from './binaries.js';
import { runCommand } from './run-command.js';
import type { CertPaths } from './types.js';

export interface CertOptions {
  /** Common name of the client certificate: some servers map it to a user (etcd, PostgreSQL). */
  readonly clientName?: string;
}

/**
 * A throwaway CA, a server certificate for 127.0.0.1, ::1 and localhost,
 * and a client certificate, made with the openssl CLI at test time so no key
 * ever lives in the repository. EC P-256 keys: generated in milliseconds and
 * accepted by every server here (OpenSSL in Redis, PostgreSQL, MariaDB,
 * memcached; Go in etcd).
 */
export async function generateCerts(dir: string, options: CertOptions = {}): Promise<CertPaths> {
  const openssl = findBinary('openssl');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const at = (name: string) => join(dir, name);
  const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const run = (args: string[]) => runCommand(openssl, args, { cwd: dir });

  await run([
    'req',
    '-x509',
    ...keyArgs,
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.crt'),
    '-days',
    '3',
    '-subj',
    '/CN=tooz test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);

  const sign = async (name: string, subject: string, extensions: string) => {
    await writeFile(at(`${name}.ext`), extensions);
    await run(['req', ...keyArgs, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', subject]);
    await run([
      'x509',
      '-req',
      '-in',
      at(`${name}.csr`),
      '-CA',
      at('ca.crt'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-out',
      at(`${name}.crt`),
      '-days',
      '3',
      '-extfile',
      at(`${name}.ext`),
    ]);
  };

  await sign(
    'server',
    '/CN=localhost',
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      // clientAuth too: etcd members use the server certificate to reach each other.
      'extendedKeyUsage=serverAuth,clientAuth',
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
      '',
    ].join('\n'),
  );
  await sign(
    'client',
    `/CN=${options.clientName ?? 'tooz'}`,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
      '',
    ].join('\n'),
  );

  return {
    ca: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
  };
}
