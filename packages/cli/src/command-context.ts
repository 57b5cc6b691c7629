import type { Coordinator } from '@tooz/core';
import type { Ui } from './ui/ui.js';

/** What a command's body gets: an open coordinator, the output, and the interrupt. */
export interface CommandContext {
  readonly coordinator: Coordinator;
  readonly ui: Ui;
  /** Aborted on Ctrl-C, SIGTERM or SIGHUP; the reason is the signal's name. */
  readonly interrupted: AbortSignal;
  /** How long connecting took, in ms (for `doctor`). */
  readonly connectMs: number;
}

/** A command's body: resolves with tooz's exit code once everything it held is given back. */
export type CommandBody = (context: CommandContext) => Promise<number>;
