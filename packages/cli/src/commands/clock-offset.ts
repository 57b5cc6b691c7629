/** Beyond this (after the measurement's own uncertainty), a clock offset is worth a warning. */
const TOLERANCE_MS = 1_000;

/**
 * A warning when the driver measured the server's clock (`clockOffsetMs`,
 * `clockOffsetUncertaintyMs` in its facts) and it is off by more than a
 * second. tooz's deadlines do not depend on it (they are measured on this
 * host's monotonic clock, from the send of each request), but timestamps
 * written by the two sides disagree, which misleads whoever reads them.
 */
export function clockOffsetWarning(server: Readonly<Record<string, unknown>>): string | undefined {
  const offset = server['clockOffsetMs'];
  const uncertainty = Number(server['clockOffsetUncertaintyMs'] ?? 0);
  if (typeof offset !== 'number' || Math.abs(offset) - uncertainty <= TOLERANCE_MS) return undefined;
  return (
    `the server's clock is ${Math.abs(offset)} ms ${offset > 0 ? 'ahead of' : 'behind'} this host's ` +
    `(±${uncertainty} ms): locks do not depend on it, but timestamps on the two sides disagree; check NTP on both`
  );
}
