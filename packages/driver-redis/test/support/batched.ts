import { waitUntil } from '@tooz/testing';
import type { Redis } from 'ioredis';

/** A client whose commands are held by `CLIENT PAUSE` (flag `b`) with more bytes queued behind the first (`qbuf`). */
const QUEUED_BEHIND = /\bflags=\w*b\w*\b.*\bqbuf=([1-9]\d*)\b.*\bcmd=(evalsha|eval)\b/;

/**
 * Makes the server run several requests of one connection back to back and
 * answer them in one write, so that the client reads every reply and push
 * in one go: the order of events a fast LAN produces by chance, made
 * certain. `send` issues the requests; `CLIENT PAUSE WRITE` holds the
 * first one (a script) while the others arrive behind it, then `UNPAUSE`
 * runs them all in one pass of the server's event loop.
 */
export async function inOneRead<T>(admin: Redis, send: () => T, bound = 20_000): Promise<T> {
  await admin.client('PAUSE', bound, 'WRITE');
  try {
    const sent = send();
    await waitUntil(
      async () =>
        String(await admin.client('LIST'))
          .split('\n')
          .some((line) => QUEUED_BEHIND.test(line)),
      bound,
      'the requests queued behind the paused one',
    );
    return sent;
  } finally {
    await admin.client('UNPAUSE');
  }
}
