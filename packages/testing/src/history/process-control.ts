import { taskStates } from '../servers/process-tree.js';

/** Whether every thread of `pid` is stopped (`stopped` true) or none is (false); a dead process is either. */
function settled(pid: number, stopped: boolean): boolean {
  return taskStates(pid).every(
    (state) => state === 'Z' || state === 'X' || (state === 'T' || state === 't') === stopped,
  );
}

async function signalAndSettle(pid: number, stopped: boolean, bound: number): Promise<void> {
  const signal = stopped ? 'SIGSTOP' : 'SIGCONT';
  process.kill(pid, signal);
  const deadline = Date.now() + bound;
  // kill() returns before every thread of a multi-threaded process (node has several) has stopped.
  while (!settled(pid, stopped)) {
    if (Date.now() > deadline)
      throw new Error(`process ${pid} did not ${stopped ? 'stop' : 'continue'} within ${bound} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * SIGSTOP to a process (Linux); resolves once every one of its threads has
 * stopped, so that nothing it records afterwards is dated before the pause.
 */
export function stopProcess(pid: number, bound = 10_000): Promise<void> {
  return signalAndSettle(pid, true, bound);
}

/** SIGCONT to a process; resolves once none of its threads is stopped. */
export function continueProcess(pid: number, bound = 10_000): Promise<void> {
  return signalAndSettle(pid, false, bound);
}
