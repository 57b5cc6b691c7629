import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PATIENCE } from './tooz.js';

const BIN = fileURLToPath(new URL('../../src/bin.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `tooz args...` on a pseudo-terminal, as a person would (util-linux
 * `script`), and resolves with everything the terminal showed (stdout and
 * stderr together, control sequences included) and the exit code.
 */
export function runOnTerminal(url: string, args: readonly string[]): Promise<{ code: number; screen: string }> {
  const command = [process.execPath, '--conditions=development', '--import', 'tsx', BIN, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = execFile(
      'script',
      ['--quiet', '--return', '--command', command, '/dev/null'],
      { cwd: ROOT, env: { ...process.env, TOOZ_URL: url }, timeout: PATIENCE },
      (error, stdout) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (error && code === -1) reject(error);
        else resolve({ code, screen: stdout });
      },
    );
    child.stdin?.end();
  });
}
