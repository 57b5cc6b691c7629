import { claimPorts, releasePort } from './free-port.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

/** A server's directory and ports, before a handle owns them. */
export interface Allocation {
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  /** Peer, election… ports, when the server needs more than one. */
  readonly extraPorts: readonly number[];
  /** Runs preparation steps; on failure gives everything back before rethrowing. */
  guard<T>(step: () => Promise<T>): Promise<T>;
  release(): Promise<void>;
}

export async function allocate(label: string, extraPortCount = 0): Promise<Allocation> {
  const host = '127.0.0.1';
  const dir = await makeTempDir(label);
  let ports: number[];
  try {
    ports = await claimPorts(1 + extraPortCount, host);
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
  const [port = 0, ...extraPorts] = ports;
  const release = async () => {
    for (const p of ports) releasePort(p);
    await removeTempDir(dir);
  };
  return {
    dir,
    host,
    port,
    extraPorts,
    release,
    async guard(step) {
      try {
        return await step();
      } catch (error) {
        await release();
        throw error;
      }
    },
  };
}
