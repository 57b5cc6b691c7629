/**
 * Run as its own process inside a test network namespace
 * (`netns.wrap(...)`): the compatible server on the namespace's loopback,
 * where only its hosts reach it, so that a partition drops its packets for
 * real. Prints its URL on one line once it listens; ends when its stdin
 * closes (the test process gone) or on SIGTERM.
 */
import { startConsul } from '@tooz/testing';

const server = await startConsul({ sessionTtlMin: '1s', ttlMultiplier: 1 });
process.stdout.write(`${server.url}\n`);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.stdin.on('end', stop).resume();
process.on('SIGTERM', stop);
