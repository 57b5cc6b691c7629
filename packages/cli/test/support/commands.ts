import { existsSync, readFileSync } from 'node:fs';
import { waitUntil } from '@tooz/testing';
import { PATIENCE } from './tooz.js';

/** Shell commands for `tooz lock` and `tooz elect` to run, and ways to see what they did. */

/** Appends `start <token>`, then `end <token>` a moment later, to `log`: overlapping holders would interleave. */
export function appendWithToken(log: string): string[] {
  return [
    'sh',
    '-c',
    `echo "start $TOOZ_FENCING_TOKEN" >> '${log}'; sleep 0.2; echo "end $TOOZ_FENCING_TOKEN" >> '${log}'`,
  ];
}

/**
 * Writes its token to `ready`, then runs until stopped. On SIGTERM it notes
 * `TERM` in `ready` and exits 0; on SIGINT it exits 130, as a program that
 * does not catch it would. Bounded: it ends by itself after two minutes.
 */
export function holdUntilStopped(ready: string): string[] {
  return [
    'sh',
    '-c',
    `trap 'echo TERM >> "${ready}"; exit 0' TERM; trap 'exit 130' INT; ` +
      `echo "$TOOZ_FENCING_TOKEN" > '${ready}'; i=0; while [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done`,
  ];
}

/** The lines of a file that may not exist yet. */
export function readLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Waits until `file` exists and has a first line; returns it. */
export async function firstLine(file: string): Promise<string> {
  await waitUntil(() => readLines(file).length > 0, PATIENCE, `a line in ${file}`);
  return readLines(file)[0] ?? '';
}
