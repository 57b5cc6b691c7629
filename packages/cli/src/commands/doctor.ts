import { type CapabilityDescriptor, ConnectionError, type Diagnosis } from '@tooz/core';
import type { CommandContext } from '../command-context.js';
import { EXIT } from '../exit-codes.js';
import { table } from '../ui/table.js';
import { clockOffsetWarning } from './clock-offset.js';

/** A diagnosis stuck on a silent backend fails as a connection problem rather than hang. */
const DIAGNOSE_BOUND_MS = 30_000;

function bounded<T>(work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outOfTime = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ConnectionError(`the backend did not answer the checks within ${DIAGNOSE_BOUND_MS / 1000}s`)),
      DIAGNOSE_BOUND_MS,
    );
  });
  return Promise.race([work, outOfTime]).finally(() => clearTimeout(timer));
}

/** Round trips this fast are shown in tenths of a millisecond. */
const ms = (value: number) => (value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`);

function primitives(capabilities: CapabilityDescriptor): string {
  const { primitives: p } = capabilities;
  const names = (Object.keys(p) as (keyof typeof p)[]).filter((name) => p[name]);
  return names.join(', ') || 'none';
}

function report(diagnosis: Diagnosis, connectMs: number): string {
  const { capabilities: c } = diagnosis;
  const notifications = c.notifications === 'poll' ? `poll (every ${c.pollInterval ?? 1000} ms)` : c.notifications;
  const rows: [string, string][] = [
    ['driver', diagnosis.driver],
    ['backend', diagnosis.description],
    ['state', diagnosis.state],
    ['connect', ms(connectMs)],
    ['round trip', ms(diagnosis.roundTripMs)],
    ['primitives', primitives(c)],
    ['notifications', notifications],
    ['liveness', c.liveness],
    ['characteristics', c.characteristics.join(', ')],
    ...Object.entries(diagnosis.server).map(([key, value]): [string, string] => [`server ${key}`, String(value)]),
  ];
  const lines = [table(['CHECK', 'RESULT'], rows)];
  if (diagnosis.warnings.length === 0) lines.push('', 'no problems found');
  else lines.push('', 'WARNINGS', ...diagnosis.warnings.map((warning) => `- ${warning}`));
  return lines.join('\n');
}

/**
 * `tooz doctor`: connects, times a round trip, and shows the driver's
 * capability descriptor and what the driver can tell about the server
 * (version, settings that put locks at risk). Exits 1 when it found
 * something to fix, 5 when it could not connect.
 */
export async function doctor(
  { coordinator, ui, connectMs }: CommandContext,
  options: { json?: boolean },
): Promise<number> {
  ui.progress.waiting(() => 'checking the backend');
  const found = await bounded(coordinator.diagnose()).finally(() => ui.progress.done());
  const clock = clockOffsetWarning(found.server);
  const diagnosis: Diagnosis = clock ? { ...found, warnings: [...found.warnings, clock] } : found;
  if (options.json) ui.json({ ...diagnosis, connectMs });
  else ui.out(report(diagnosis, connectMs));
  return diagnosis.warnings.length === 0 ? EXIT.ok : EXIT.failure;
}
