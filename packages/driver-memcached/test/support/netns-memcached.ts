import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { HistoryFaultServer } from '@tooz/testing/conformance';
import type { NetworkNamespace } from '@tooz/testing';

const PORT = 11211;
/** A hang guard for the readiness probe, never a timing assertion. */
const READY_BOUND = 10_000;

const PROBE = `
import socket, sys
s = socket.create_connection(("127.0.0.1", ${PORT}), timeout=1)
s.sendall(b"version\\r\\n")
sys.exit(0 if s.recv(64).startswith(b"VERSION") else 1)
`;

/**
 * memcached inside a test network namespace, for the partition test
 * (@tooz/testing's startMemcached has no \`netns\` option yet): on the
 * namespace's own loopback, where only its hosts reach it. Nothing else is
 * needed of it: the partition test never restarts it.
 */
export async function startMemcachedInNetns(netns: NetworkNamespace): Promise<HistoryFaultServer> {
  const args = ['-l', '127.0.0.1', '-p', String(PORT), '-U', '0', '-m', '64', '-t', '2'];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const spec = netns.wrap({ command: 'memcached', args });
  const child = spawn(spec.command, spec.args, { stdio: 'ignore' });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const started = Date.now();
  for (;;) {
    try {
      await netns.run('python3', ['-c', PROBE]);
      break;
    } catch (error) {
      if (Date.now() - started > READY_BOUND || child.exitCode !== null) {
        await stop();
        throw new Error('memcached did not start in the network namespace', { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url: `memcached://127.0.0.1:${PORT}`,
    restart: () => Promise.reject(new Error('not restarted in the partition test')),
    [Symbol.asyncDispose]: stop,
  };
}
