/**
 * Why a hold ended without its holder letting go, as a driver reports it on
 * a handle's `lost$`:
 * - `stolen`: someone else removed or took it (the key deleted, the value
 *   changed, an administrator's break);
 * - `expired`: the backend let it lapse (its TTL or session ran out).
 */
export interface HoldLoss {
  /** `stolen` or `expired`, as above. */
  readonly reason: 'stolen' | 'expired';
  /** What the driver saw, for the error the user gets. */
  readonly cause?: unknown;
}
