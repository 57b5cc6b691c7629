import type { MembershipEvent } from '@tooz/core';
import { toJson } from '../ui/json.js';

/** One line of `tooz watch`: a member present at the start, a membership event, or who leads now. */
export type WatchLine =
  | {
      readonly time: string;
      readonly group: string;
      readonly event: 'present' | 'joined' | 'updated';
      readonly member: string;
      readonly capabilities: unknown;
    }
  | { readonly time: string; readonly group: string; readonly event: 'left'; readonly member: string }
  | { readonly time: string; readonly group: string; readonly event: 'leader'; readonly leader: string | null };

export function now(): string {
  return new Date().toISOString();
}

export function eventLine(event: MembershipEvent): WatchLine {
  const [time, group, member] = [now(), event.groupId, event.memberId];
  // Keys in the same order as the other lines: time, group, event, who, capabilities.
  return event.type === 'left'
    ? { time, group, event: 'left', member }
    : { time, group, event: event.type, member, capabilities: event.capabilities };
}

/** The line for people: time, what happened, who, and capabilities where there are some. */
export function formatLine(line: WatchLine): string {
  const who = line.event === 'leader' ? (line.leader ?? '(none)') : line.member;
  const capabilities = 'capabilities' in line ? `  ${toJson(line.capabilities)}` : '';
  return `${line.time}  ${line.event.padEnd(7)}  ${who}${capabilities}`;
}
