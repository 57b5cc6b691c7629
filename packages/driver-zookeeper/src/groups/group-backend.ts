import type { GroupBackend, GroupChange } from '@tooz/core';
import { finalize, type Observable, share } from 'rxjs';
import type { ZkContext } from '../context.js';
import { groupNodes } from './group-nodes.js';
import { groupWatch } from './group-watch.js';
import { membership } from './membership.js';

/** Groups: persistent group nodes, one ephemeral node per member holding its msgpack capabilities. */
export function groupBackend(ctx: ZkContext): GroupBackend {
  /** One ZooKeeper watch per group, however many views of it this coordinator has. */
  const watches = new Map<string, Observable<GroupChange>>();
  return {
    ...groupNodes(ctx),
    ...membership(ctx),
    watch(group) {
      let watch = watches.get(group);
      if (!watch) {
        watch = groupWatch(ctx, group).pipe(
          finalize(() => watches.delete(group)),
          share(),
        );
        watches.set(group, watch);
      }
      return watch;
    },
  };
}
