import { join } from 'node:path';
import { generateCerts } from './certs.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import type { CertPaths } from './types.js';

/** Certificates from a CA no server here trusts or is signed by; removed on dispose. */
export interface ForeignCerts extends CertPaths, AsyncDisposable {
  readonly dir: string;
}

/**
 * A throwaway CA (with its own server and client certificates) unrelated to
 * any server's: trusting it must make a TLS client refuse every fixture
 * server, which is what "an incorrect CA" means in the security tests.
 */
export async function generateForeignCerts(): Promise<ForeignCerts> {
  const dir = await makeTempDir('foreign-ca');
  try {
    const paths = await generateCerts(join(dir, 'certs'));
    return { ...paths, dir, [Symbol.asyncDispose]: () => removeTempDir(dir) };
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
}
