import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { NetworkNamespace } from '@tooz/testing';
import type { HistoryFaultServer } from '@tooz/testing/conformance';

const SCRIPT = fileURLToPath(new URL('./consul-in-netns.ts', import.meta.url));
/** A hang guard for the server's first line, never a timing assertion. */
const READY_BOUND = 20_000;

/**
 * The compatible server in a process of its own inside `netns`, for the
 * partition test: `startConsul()` runs in the test process, which is
 * outside the namespace, where a partition of a host cannot drop its
 * packets. The partition test never restarts it.
 */
export async function startConsulInNetns(netns: NetworkNamespace): Promise<HistoryFaultServer> {
  const spec = netns.wrap({
    command: process.execPath,
    args: ['--conditions=development', '--import', 'tsx', SCRIPT],
  });
  const child = spawn(spec.command, spec.args, {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail('no URL within the bound'), READY_BOUND);
    function fail(why: string) {
      clearTimeout(timer);
      reject(new Error(`the compatible Consul did not start in the network namespace: ${why}\n${stderr}`));
    }
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const end = out.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, end).trim());
      }
    });
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code})`));
  }).catch(async (error) => {
    await stop();
    throw error;
  });
  return {
    url,
    restart: () => Promise.reject(new Error('not restarted in the partition test')),
    [Symbol.asyncDispose]: stop,
  };
}
