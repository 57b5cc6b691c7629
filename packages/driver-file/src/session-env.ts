import type { SchedulerLike } from 'rxjs';
import type { Layout } from './layout.js';
import type { NativeAddon } from './native.js';
import type { FileSettings } from './options.js';
import type { Removals } from './removals.js';

/** What the parts of one session share. */
export interface SessionEnv {
  readonly addon: NativeAddon;
  readonly layout: Layout;
  readonly memberId: string;
  /** The member id as the holder records carry it. */
  readonly memberIdBytes: Buffer;
  /** The only timer source (rechecks after a close, holder() while a record is written). */
  readonly scheduler: SchedulerLike;
  readonly settings: FileSettings;
  readonly removals: Removals;
}
