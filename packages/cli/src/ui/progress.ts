/** Where progress goes: stderr, or a stand-in in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** `3s`, `1m05s`, `2h03m`: short enough for a status line. */
export function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

const CLEAR_LINE = '\r\x1b[K';

/**
 * What a person at a terminal sees while tooz waits: one status line on
 * stderr saying what it waits for and for how long, redrawn every second,
 * and notes that stay on screen. When stderr is not a terminal (piped,
 * redirected, under a supervisor) nothing at all is written: scripts get
 * only stdout and real warnings.
 */
export class Progress {
  private status: (() => string) | undefined;
  private since = 0;
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly stream: ProgressStream,
    readonly enabled: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Shows `describe()` and the time waited so far until `done()`; the text is re-read on every redraw. */
  waiting(describe: () => string): void {
    if (!this.enabled) return;
    this.status = describe;
    this.since = this.now();
    this.render();
    this.ticker ??= setInterval(() => this.render(), 1000);
    // A status line must never keep tooz alive on its own.
    this.ticker.unref?.();
  }

  /** Ends the status line, leaving `message` (if any) on screen in its place. */
  done(message?: string): void {
    if (!this.enabled) return;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    const wasShown = this.status !== undefined;
    this.status = undefined;
    if (wasShown) this.stream.write(CLEAR_LINE);
    if (message !== undefined) this.stream.write(`${message}\n`);
  }

  /** A line for people that stays on screen, above the status line if one is shown. */
  note(message: string): void {
    if (this.enabled) this.around(() => this.stream.write(`${message}\n`));
  }

  /** Runs `write` (which writes to the same terminal) without garbling the status line. */
  around(write: () => void): void {
    if (this.status) this.stream.write(CLEAR_LINE);
    write();
    if (this.status) this.render();
  }

  /** Redraws the status line (the ticker calls it every second). */
  render(): void {
    if (!this.status) return;
    this.stream.write(`${CLEAR_LINE}${this.status()} ${formatElapsed(this.now() - this.since)}`);
  }
}
