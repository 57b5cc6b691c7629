import type { GroupChange } from '@tooz/core';
import { Observable } from 'rxjs';
import { rangeOf } from './keys.js';
import type { SessionContext } from './session-context.js';

/**
 * A group's changes from its shared prefix watch: each member key's put is
 * `joined` (first version) or `updated`, its deletion `left`; the group
 * key's deletion is `deleted`. A watch that lost history (compaction) or
 * came up after a snapshot was read says `resync`, and core re-reads and diffs.
 */
export function groupChanges(ctx: SessionContext, group: string): Observable<GroupChange> {
  return new Observable<GroupChange>((subscriber) => {
    const groupKey = ctx.layout.group(group);
    let afterReset = false;
    return ctx.hub.watch(rangeOf(groupKey)).signals$.subscribe((signal) => {
      switch (signal.type) {
        case 'reset':
          afterReset = true;
          return;
        case 'ready':
          if (afterReset || signal.late) subscriber.next({ type: 'resync' });
          afterReset = false;
          return;
        case 'events':
          for (const { type, kv } of signal.events) {
            const memberId = ctx.layout.memberIdOf(groupKey, kv.key);
            if (memberId === undefined) {
              if (type === 'Delete') subscriber.next({ type: 'deleted' });
            } else if (type === 'Delete') {
              subscriber.next({ type: 'left', memberId });
            } else {
              subscriber.next({ type: kv.version === '1' ? 'joined' : 'updated', memberId, capabilities: kv.value });
            }
          }
      }
    });
  });
}
