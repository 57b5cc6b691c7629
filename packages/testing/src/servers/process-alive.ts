import { existsSync, readFileSync } from 'node:fs';

/**
 * Whether a process still runs. A zombie does not: it has exited and only
 * waits to be reaped, which may take a while when its parent died and the
 * machine's PID 1 reaps lazily (containers), yet `kill(pid, 0)` still
 * succeeds on it.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name, which is in parentheses and may contain spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // Without /proc (not Linux) kill(pid, 0) is all there is; with it, the process just vanished.
    return !existsSync('/proc/self');
  }
}
