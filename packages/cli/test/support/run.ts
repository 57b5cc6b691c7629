import { execFile } from 'node:child_process';
import { PATIENCE } from './tooz.js';

/** Runs a server's own client tool (redis-cli, psql, etcdctl) and resolves with its stdout. */
export function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: PATIENCE }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}
