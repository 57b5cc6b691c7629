import { readdirSync, readFileSync } from 'node:fs';

/**
 * A server's processes are not always one process group: PostgreSQL's
 * backends each call setsid(), precisely so that signals to the
 * postmaster's group miss them. Pausing or killing "the server" therefore
 * means every descendant, found through /proc (synchronously: this also
 * runs in exit handlers).
 */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state, ppid, …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

/** Every live descendant of pid (children, grandchildren…), parents before children. */
export function descendantsOf(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    const parent = parentOf(child);
    if (parent === undefined) continue;
    const list = children.get(parent);
    if (list) list.push(child);
    else children.set(parent, [child]);
  }
  const result: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    result.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return result;
}

function send(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Signals the process group led by pid and every descendant. Stop and kill
 * go to the leader first, so it forks nothing new meanwhile; continue goes
 * to the descendants first, so nothing wakes up to find its parent stopped.
 */
export function signalTree(pid: number, signal: NodeJS.Signals): void {
  if (signal === 'SIGCONT') {
    for (const child of descendantsOf(pid)) send(child, signal);
    send(-pid, signal);
    return;
  }
  const before = descendantsOf(pid);
  send(-pid, signal);
  // Rescan: a child forked between the scan and the signal is caught now.
  for (const child of new Set([...before, ...descendantsOf(pid)])) send(child, signal);
}

/** The states (`R`, `S`, `T`, ...) of every thread of a process; empty once it is gone. */
export function taskStates(pid: number): string[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const states: string[] = [];
  for (const task of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      states.push(stat.charAt(stat.lastIndexOf(')') + 2));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return states;
}

/**
 * Whether every thread of pid and of its descendants is stopped (`stopped`
 * true) or none is (false). kill() returns before a multi-threaded process
 * has stopped all its threads: one may still answer a query meanwhile.
 */
export function treeSettled(pid: number, stopped: boolean): boolean {
  for (const member of [pid, ...descendantsOf(pid)]) {
    for (const state of taskStates(member)) {
      const isStopped = state === 'T' || state === 't';
      // Zombies and dead threads count as settled either way.
      if (state === 'Z' || state === 'X') continue;
      if (isStopped !== stopped) return false;
    }
  }
  return true;
}
