import type { ZookeeperSessionInfo } from '@tooz/driver-zookeeper';
import { createClient } from 'node-zookeeper-client';

/**
 * Expires a session the way ZooKeeper's own tests do: a second connection
 * presents the session's id and password, which moves the session to it,
 * then closes it. The server deletes the session's ephemeral nodes at once;
 * the original client learns of it when it reconnects. Callers hold the
 * original client's traffic meanwhile, so it cannot take the session back
 * before it is closed.
 */
export async function closeSessionFromElsewhere(hostPort: string, session: ZookeeperSessionInfo): Promise<void> {
  const thief = createClient(hostPort, {
    sessionTimeout: session.timeout,
    retries: 0,
    // Not in the typings, but read by the client: reconnect to an existing session.
    ...({ sessionId: session.sessionId, sessionPassword: session.password } as object),
  });
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('could not take the session over')), 10_000);
    thief.once('connected', () => {
      thief.once('disconnected', () => {
        clearTimeout(guard);
        resolve();
      });
      thief.close();
    });
    thief.once('expired', () => {
      clearTimeout(guard);
      resolve();
    });
    thief.connect();
  });
}
