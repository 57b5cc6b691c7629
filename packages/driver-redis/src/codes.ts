/**
 * What every Lua script answers first. The scripts read these names from a
 * `CODE` table generated from this object (see scripts.ts), so this is the
 * only place the numbers live; errors.ts maps them to tooz errors.
 */
export const ReturnCode = {
  OK: 0,
  /** The lock is held by someone else; the reply carries its remaining TTL. */
  LOCK_HELD: 1,
  /** The hold (lock value) is no longer this handle's. */
  NOT_HELD: 2,
  GROUP_NOT_FOUND: 3,
  GROUP_EXISTS: 4,
  GROUP_NOT_EMPTY: 5,
  MEMBER_EXISTS: 6,
  MEMBER_NOT_FOUND: 7,
} as const;

export type ReturnCode = (typeof ReturnCode)[keyof typeof ReturnCode];

/** The Lua prelude every script starts with. */
export const LUA_CODES = `local CODE = {${Object.entries(ReturnCode)
  .map(([name, value]) => `${name} = ${value}`)
  .join(', ')}}\n`;
