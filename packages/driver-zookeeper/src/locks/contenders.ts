import { randomBytes } from 'node:crypto';

/** kazoo's lock node marker: `<uuid4 hex>__lock__<10-digit sequence>`, as Python tooz writes them. */
const MARK = '__lock__';
const SEQUENCE = /__r?lock__(\d{10})$/;

const PROCESS_ID = randomBytes(8).toString('hex');
let counter = 0;

/**
 * The name prefix of a new contender node, unique so that a create lost with
 * the connection can be found again: 32 hex digits like kazoo's uuid4 (this
 * process's random id and a counter), then the marker; the server appends
 * the sequence number.
 */
export function contenderPrefix(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${PROCESS_ID}${counter.toString(16).padStart(16, '0')}${MARK}`;
}

function sequenceOf(name: string): number {
  const match = SEQUENCE.exec(name);
  return match ? Number(match[1]) : -1;
}

/**
 * Contender node names in queue order (lowest sequence first, as kazoo
 * orders them, read locks included); anything else in the queue is ignored.
 */
export function inQueueOrder(children: readonly string[]): string[] {
  return children.filter((name) => SEQUENCE.test(name)).sort((a, b) => sequenceOf(a) - sequenceOf(b));
}

export function nodeName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
